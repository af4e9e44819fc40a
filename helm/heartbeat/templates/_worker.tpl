{{/*
A worker Deployment (inference or training): probes on its metrics port, GPU switch.
Call with (dict "root" $ "component" "inference-worker" "c" .Values.inferenceWorker "env" (list ...) "volumes" ... "mounts" ... "replicas" N).
*/}}
{{- define "heartbeat.workerDeployment" -}}
{{- $ := .root -}}
{{- $c := .c -}}
{{- $gpu := $c.gpu.enabled -}}
{{- $resources := deepCopy $c.resources -}}
{{- if $gpu -}}
{{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" ($c.gpu.count | toString)) (default dict $resources.limits)) -}}
{{- $_ := set $resources "requests" (merge (dict "nvidia.com/gpu" ($c.gpu.count | toString)) (default dict $resources.requests)) -}}
{{- end -}}
{{- $nodeSelector := $c.nodeSelector -}}
{{- $tolerations := $c.tolerations -}}
{{- if $gpu -}}
{{- $nodeSelector = merge (deepCopy $c.nodeSelector) $c.gpu.nodeSelector -}}
{{- $tolerations = concat $c.tolerations $c.gpu.tolerations -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "heartbeat.componentName" (list $ .component) }}
  labels:
    {{- include "heartbeat.componentLabels" (list $ .component) | nindent 4 }}
spec:
  {{- if hasKey . "replicas" }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    {{- toYaml .strategy | nindent 4 }}
  selector:
    matchLabels:
      {{- include "heartbeat.selectorLabels" (list $ .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "heartbeat.selectorLabels" (list $ .component) | nindent 8 }}
        {{- with $.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "heartbeat.checksums" $ | nindent 8 }}
        {{- with $.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "heartbeat.podCommon" (list $ $c) | nindent 6 }}
      {{- if and $gpu $c.gpu.runtimeClassName }}
      runtimeClassName: {{ $c.gpu.runtimeClassName }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "heartbeat.image" (list $ (ternary $c.gpu.image $c.image $gpu)) }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          ports:
            - name: metrics
              containerPort: {{ $c.metricsPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "heartbeat.configMapName" $ }}
          env:
            {{- include "heartbeat.appEnv" (list $ (concat .env $c.extraEnv)) | nindent 12 }}
          # On the metrics port: liveness = the process answers; readiness = {{ .readyMeaning }}.
          startupProbe:
            httpGet:
              path: /health/live
              port: metrics
            periodSeconds: 2
            failureThreshold: 90
          livenessProbe:
            httpGet:
              path: /health/live
              port: metrics
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /health/ready
              port: metrics
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          securityContext:
            {{- toYaml $.Values.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml $resources | nindent 12 }}
          volumeMounts:
            {{- include "heartbeat.tmpMount" $ | nindent 12 }}
            {{- with .mounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "heartbeat.tmpVolume" $ | nindent 8 }}
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
# For the metrics scrape (ServiceMonitor) only; workers take their work from the queue.
apiVersion: v1
kind: Service
metadata:
  name: {{ include "heartbeat.componentName" (list $ .component) }}
  labels:
    {{- include "heartbeat.componentLabels" (list $ .component) | nindent 4 }}
    heartbeat.dev/scrape-job: heartbeat-{{ .component }}
spec:
  type: ClusterIP
  selector:
    {{- include "heartbeat.selectorLabels" (list $ .component) | nindent 4 }}
  ports:
    - name: metrics
      port: {{ $c.metricsPort }}
      targetPort: metrics
      protocol: TCP
{{- end -}}
