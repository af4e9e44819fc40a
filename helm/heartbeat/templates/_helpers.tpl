{{- define "heartbeat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "heartbeat.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's objects: <fullname>-<component>. Call with (list $ "gateway"). */}}
{{- define "heartbeat.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "heartbeat.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "heartbeat.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "heartbeat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: heartbeat
{{- end -}}

{{/* Selector labels of a component. Call with (list $ "gateway"). */}}
{{- define "heartbeat.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "heartbeat.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "heartbeat.componentLabels" -}}
{{ include "heartbeat.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "heartbeat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "heartbeat.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Full image reference. Call with (list $ .Values.gateway.image). */}}
{{- define "heartbeat.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 -}}
{{- $tag := $image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- if $root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $root.Values.image.registry) $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "heartbeat.secretName" -}}
{{- printf "%s-secrets" (include "heartbeat.fullname" .) -}}
{{- end -}}

{{- define "heartbeat.configMapName" -}}
{{- printf "%s-config" (include "heartbeat.fullname" .) -}}
{{- end -}}

{{/*
The secret settings: each either from an existing Secret or from the chart's Secret.
Yields a YAML list of {env, secret, key, value}; `value` is set only when the chart's Secret holds it.
*/}}
{{- define "heartbeat.secretSettings" -}}
{{- $v := .Values -}}
{{- $own := include "heartbeat.secretName" . -}}
- env: DATABASE_URL
  secret: {{ $v.database.existingSecret | default $own }}
  key: {{ if $v.database.existingSecret }}{{ $v.database.existingSecretKey }}{{ else }}DATABASE_URL{{ end }}
  value: {{ if not $v.database.existingSecret }}{{ required "database.url (or database.existingSecret) is required: the PostgreSQL URL, postgres://user:password@host:5432/heartbeat" $v.database.url | quote }}{{ else }}""{{ end }}
- env: REDIS_URL
  secret: {{ $v.redis.existingSecret | default $own }}
  key: {{ if $v.redis.existingSecret }}{{ $v.redis.existingSecretKey }}{{ else }}REDIS_URL{{ end }}
  value: {{ if not $v.redis.existingSecret }}{{ required "redis.url (or redis.existingSecret) is required: redis://[:password@]host:6379" $v.redis.url | quote }}{{ else }}""{{ end }}
{{- if or $v.s3.existingSecret $v.s3.accessKeyId }}
- env: S3_ACCESS_KEY_ID
  secret: {{ $v.s3.existingSecret | default $own }}
  key: {{ if $v.s3.existingSecret }}{{ $v.s3.accessKeyIdKey }}{{ else }}S3_ACCESS_KEY_ID{{ end }}
  value: {{ if not $v.s3.existingSecret }}{{ $v.s3.accessKeyId | quote }}{{ else }}""{{ end }}
{{- end }}
{{- if or $v.s3.existingSecret $v.s3.secretAccessKey }}
- env: S3_SECRET_ACCESS_KEY
  secret: {{ $v.s3.existingSecret | default $own }}
  key: {{ if $v.s3.existingSecret }}{{ $v.s3.secretAccessKeyKey }}{{ else }}S3_SECRET_ACCESS_KEY{{ end }}
  value: {{ if not $v.s3.existingSecret }}{{ $v.s3.secretAccessKey | quote }}{{ else }}""{{ end }}
{{- end }}
{{- if or $v.bootstrapApiKey.existingSecret $v.bootstrapApiKey.value }}
- env: HEARTBEAT_BOOTSTRAP_API_KEY
  secret: {{ $v.bootstrapApiKey.existingSecret | default $own }}
  key: {{ if $v.bootstrapApiKey.existingSecret }}{{ $v.bootstrapApiKey.existingSecretKey }}{{ else }}HEARTBEAT_BOOTSTRAP_API_KEY{{ end }}
  value: {{ if not $v.bootstrapApiKey.existingSecret }}{{ $v.bootstrapApiKey.value | quote }}{{ else }}""{{ end }}
{{- end }}
{{- end -}}

{{/* env entries for the secret settings. Call with (list $ "DATABASE_URL" ...) to pick some, or (list $) for all. */}}
{{- define "heartbeat.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $only := rest . -}}
{{- range (include "heartbeat.secretSettings" $root | fromYamlArray) }}
{{- if or (not $only) (has .env $only) }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment of every app container: the ConfigMap, the secrets, the chart-wide extras. */}}
{{- define "heartbeat.appEnv" -}}
{{- $root := index . 0 -}}
{{- $extra := index . 1 -}}
{{- include "heartbeat.secretEnv" (list $root) | trim }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with $extra }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "heartbeat.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{/* Pod-level settings shared by every workload. Call with (list $ .Values.gateway). */}}
{{- define "heartbeat.podCommon" -}}
{{- $root := index . 0 -}}
{{- $c := index . 1 -}}
serviceAccountName: {{ include "heartbeat.serviceAccountName" $root }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with $c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
{{- end -}}

{{/* The writable /tmp every container gets (the root file system is read-only). */}}
{{- define "heartbeat.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "heartbeat.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* The Prometheus rule files of deploy/prometheus (files with a top-level `groups`), as one list of groups. */}}
{{- define "heartbeat.prometheusRuleGroups" -}}
{{- $groups := list -}}
{{- range $path, $_ := .Files.Glob "files/deploy/prometheus/**.{yml,yaml}" }}
{{- $doc := $.Files.Get $path | fromYaml -}}
{{- if and (hasKey $doc "groups") (not (hasKey $doc "tests")) }}
{{- $groups = concat $groups $doc.groups -}}
{{- end }}
{{- end }}
{{- toYaml $groups -}}
{{- end -}}
