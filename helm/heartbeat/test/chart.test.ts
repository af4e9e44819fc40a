// The Helm chart: lint, render three value sets, validate every manifest against the Kubernetes (and
// KEDA / Prometheus-operator) schemas, and check what an installation relies on: non-root containers
// with probes and resources, GPU requests, migrations before the apps, secrets kept out of ConfigMaps.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { helm, REPOSITORY_ROOT } from '../../../scripts/deploy/helm';

const CHART = path.join(REPOSITORY_ROOT, 'helm', 'heartbeat');
const VALUES = path.join(CHART, 'test', 'values');

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};
type Container = {
  name: string;
  image: string;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: unknown;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
};
type PodSpec = { containers: Container[]; securityContext?: Record<string, unknown>; nodeSelector?: Record<string, string>; tolerations?: unknown[] };

/** The rule groups and dashboards of the observability issue, if they are in deploy/ yet. */
function monitoringFiles(): { ruleGroups: number; dashboards: number } {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
        )
      : [];
  let ruleGroups = 0;
  for (const file of walk(path.join(REPOSITORY_ROOT, 'deploy', 'prometheus')).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parse(readFileSync(file, 'utf8')) as { groups?: unknown[]; tests?: unknown } | null;
    if (doc && Array.isArray(doc.groups) && doc.tests === undefined) ruleGroups += doc.groups.length;
  }
  const dashboards = walk(path.join(REPOSITORY_ROOT, 'deploy', 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).length;
  return { ruleGroups, dashboards };
}

const MONITORING = monitoringFiles();
// The settings that carry credentials (libs/config, the console's session secret).
const SECRET_SETTINGS = ['DATABASE_URL', 'REDIS_URL', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'HEARTBEAT_BOOTSTRAP_API_KEY', 'CONSOLE_SESSION_SECRET'];

function render(valueFiles: string[], extraArgs: string[] = []): Manifest[] {
  const output = helm([
    'template',
    'hb',
    CHART,
    '--namespace',
    'screening',
    ...valueFiles.flatMap((file) => ['--values', path.join(VALUES, file)]),
    ...extraArgs,
  ]);
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

// Until deploy/prometheus and deploy/grafana exist, the monitoring set cannot include them.
const monitoringSwitches = [
  ...(MONITORING.ruleGroups > 0 ? [] : ['--set', 'monitoring.prometheusRule.enabled=false']),
  ...(MONITORING.dashboards > 0 ? [] : ['--set', 'monitoring.grafanaDashboard.enabled=false']),
];

const VALUE_SETS: Record<string, { files: string[]; args: string[] }> = {
  defaults: { files: [], args: [] },
  'gpu-keda-ingress-monitoring': { files: ['gpu-keda-ingress-monitoring.yaml'], args: monitoringSwitches },
  'existing-secrets': { files: ['existing-secrets.yaml'], args: [] },
};

const rendered: Record<string, Manifest[]> = {};

beforeAll(() => {
  for (const [name, set] of Object.entries(VALUE_SETS)) rendered[name] = render(set.files, set.args);
});

function podSpec(manifest: Manifest): PodSpec | undefined {
  if (manifest.kind === 'Deployment' || manifest.kind === 'Job') {
    return (manifest.spec as { template: { spec: PodSpec } }).template.spec;
  }
  return undefined;
}

function find(manifests: Manifest[], kind: string, nameSuffix: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.endsWith(nameSuffix));
  if (!found) throw new Error(`no ${kind} *${nameSuffix} in ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
}

/** The kubernetes-models (or CRD models) class of a manifest, by its apiVersion and kind. */
async function modelClass(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const packages: Record<string, string> = {
    'keda.sh': '@kubernetes-models/keda',
    'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  };
  const base = packages[group] ?? 'kubernetes-models';
  const modulePath = group ? `${base}/${group}/${version}/${kind}` : `${base}/${version}/${kind}`;
  const module = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = module[kind];
  if (!model) throw new Error(`no model for ${apiVersion} ${kind} in ${modulePath}`);
  return model;
}

describe('helm/heartbeat', () => {
  it('passes helm lint --strict with its default values and with each test value set', () => {
    expect(helm(['lint', '--strict', CHART])).toContain('0 chart(s) failed');
    for (const set of Object.values(VALUE_SETS)) {
      const args = ['lint', '--strict', CHART, ...set.files.flatMap((file) => ['--values', path.join(VALUES, file)]), ...set.args];
      expect(helm(args)).toContain('0 chart(s) failed');
    }
  });

  it.each(Object.keys(VALUE_SETS))('renders manifests that validate against their schemas (%s)', async (set) => {
    const manifests = rendered[set]!;
    expect(manifests.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const manifest of manifests) {
      const Model = await modelClass(manifest.apiVersion, manifest.kind);
      try {
        new Model(manifest).validate();
      } catch (error) {
        problems.push(`${manifest.kind}/${manifest.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the schema validation used above rejects an invalid manifest', async () => {
    const deployment = structuredClone(find(rendered.defaults!, 'Deployment', '-gateway'));
    const spec = podSpec(deployment)!;
    (spec.containers[0] as unknown as { ports: unknown[] }).ports = [{ containerPort: 'eight thousand' }];
    const Model = await modelClass(deployment.apiVersion, deployment.kind);
    expect(() => new Model(deployment).validate()).toThrow(/containerPort must be integer/);
  });

  it.each(Object.keys(VALUE_SETS))('runs every container non-root, read-only, with probes and resources (%s)', (set) => {
    const workloads = rendered[set]!.filter((m) => podSpec(m));
    expect(workloads.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'Deployment/hb-heartbeat-console',
      'Deployment/hb-heartbeat-gateway',
      'Deployment/hb-heartbeat-inference-worker',
      'Deployment/hb-heartbeat-training-worker',
      'Job/hb-heartbeat-migrations',
    ]);
    for (const workload of workloads) {
      const pod = podSpec(workload)!;
      expect(pod.securityContext, workload.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers) {
        const where = `${workload.metadata.name}/${container.name}`;
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Number(container.securityContext?.runAsUser), where).toBeGreaterThan(0);
        expect(container.resources?.requests?.cpu, where).toBeDefined();
        expect(container.resources?.requests?.memory, where).toBeDefined();
        expect(container.resources?.limits?.memory, where).toBeDefined();
        // A Job's container runs to completion: probes are for the long-running ones.
        if (workload.kind === 'Deployment') {
          expect(container.startupProbe, where).toBeDefined();
          expect(container.livenessProbe, where).toBeDefined();
          expect(container.readinessProbe, where).toBeDefined();
        }
      }
    }
  });

  it('probes the endpoints the apps serve', () => {
    const probe = (suffix: string, kind: 'readinessProbe' | 'livenessProbe') =>
      (podSpec(find(rendered.defaults!, 'Deployment', suffix))!.containers[0]![kind] as { httpGet: { path: string; port: string } }).httpGet;
    // Gateway: /health/ready checks PostgreSQL, Redis and S3 (apps/gateway/src/health).
    expect(probe('-gateway', 'readinessProbe')).toEqual({ path: '/health/ready', port: 'http' });
    // Workers: libs/telemetry's server on the metrics port.
    expect(probe('-inference-worker', 'readinessProbe')).toEqual({ path: '/health/ready', port: 'metrics' });
    expect(probe('-training-worker', 'livenessProbe')).toEqual({ path: '/health/live', port: 'metrics' });
    expect(probe('-console', 'readinessProbe')).toEqual({ path: '/api/health', port: 'http' });
  });

  it('gives GPU inference workers nvidia.com/gpu, the GPU image, node selector and tolerations', () => {
    const cpu = podSpec(find(rendered.defaults!, 'Deployment', '-inference-worker'))!;
    expect(JSON.stringify(cpu)).not.toContain('nvidia.com/gpu');
    const gpu = podSpec(find(rendered['gpu-keda-ingress-monitoring']!, 'Deployment', '-inference-worker'))!;
    const container = gpu.containers[0]!;
    expect(container.resources?.limits?.['nvidia.com/gpu']).toBe('1');
    expect(container.resources?.requests?.['nvidia.com/gpu']).toBe('1');
    expect(container.image).toBe('registry.hospital.example/heartbeat/inference-worker-gpu:0.1.0');
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'INFERENCE_EXECUTION_PROVIDER', value: 'cuda' }, { name: 'INFERENCE_PROCESSES', value: '1' }]));
    expect(gpu.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(gpu.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('points every app (and KEDA) at a Redis Cluster or at Sentinels, and refuses a cluster without a hash-tagged prefix', () => {
    const keda = ['--set', 'inferenceWorker.autoscaling.keda.enabled=true'];
    const cluster = render([], [...keda, '--set-json', 'redis.clusterNodes=["redis-0.data:6379","redis-1.data:6379"]', '--set-json', 'redis.queuePrefix="{heartbeat}"']);
    expect(find(cluster, 'ConfigMap', '-config').data).toMatchObject({
      REDIS_CLUSTER_NODES: 'redis-0.data:6379,redis-1.data:6379',
      QUEUE_PREFIX: '{heartbeat}',
    });
    const clusterTrigger = (find(cluster, 'ScaledObject', '-inference-worker').spec as { triggers: { type: string; metadata: Record<string, string> }[] }).triggers[0];
    expect(clusterTrigger).toEqual({ type: 'redis-cluster', metadata: expect.objectContaining({ addresses: 'redis-0.data:6379,redis-1.data:6379', listName: '{heartbeat}:predictions:wait' }) });

    const sentinel = render([], [...keda, '--set-json', 'redis.sentinels=["sentinel.data:26379"]', '--set', 'redis.sentinelName=queue']);
    expect(find(sentinel, 'ConfigMap', '-config').data).toMatchObject({ REDIS_SENTINELS: 'sentinel.data:26379', REDIS_SENTINEL_NAME: 'queue' });
    expect(find(sentinel, 'ConfigMap', '-config').data).not.toHaveProperty('REDIS_CLUSTER_NODES');
    const sentinelTrigger = (find(sentinel, 'ScaledObject', '-inference-worker').spec as { triggers: { type: string; metadata: Record<string, string> }[] }).triggers[0];
    expect(sentinelTrigger).toMatchObject({ type: 'redis-sentinel', metadata: { addresses: 'sentinel.data:26379', sentinelMaster: 'queue' } });
    expect(find(rendered.defaults!, 'ConfigMap', '-config').data).not.toHaveProperty('REDIS_SENTINELS');

    expect(() => render([], ['--set-json', 'redis.clusterNodes=["redis-0.data:6379"]'])).toThrow(/queuePrefix "heartbeat" has no hash tag/);
    expect(() => render([], ['--set-json', 'redis.clusterNodes=["a:1"]', '--set-json', 'redis.sentinels=["b:2"]', '--set-json', 'redis.queuePrefix="{hb}"'])).toThrow(/both set/);
  });

  it('scales inference workers on the BullMQ wait list with KEDA, or on CPU without it', () => {
    const withKeda = rendered['gpu-keda-ingress-monitoring']!;
    const scaledObject = find(withKeda, 'ScaledObject', '-inference-worker');
    const triggers = (scaledObject.spec as { triggers: { type: string; metadata: Record<string, string> }[] }).triggers;
    expect(triggers[0]).toMatchObject({ type: 'redis', metadata: { listName: 'heartbeat:predictions:wait', address: 'redis.data.svc:6379' } });
    expect(triggers.map((t) => t.type)).toContain('cpu');
    // KEDA owns the worker's HPA; the chart's own HPA stays for the gateway only.
    expect(withKeda.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.metadata.name)).toEqual(['hb-heartbeat-gateway']);
    expect(rendered.defaults!.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.metadata.name).sort()).toEqual([
      'hb-heartbeat-gateway',
      'hb-heartbeat-inference-worker',
    ]);
  });

  it.each(Object.keys(VALUE_SETS))('runs the migrations Job as a pre-install/pre-upgrade hook before the apps (%s)', (set) => {
    const manifests = rendered[set]!;
    const job = find(manifests, 'Job', '-migrations');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const jobWeight = Number(job.metadata.annotations?.['helm.sh/hook-weight']);
    // Whatever the Job needs at that point is a hook with a lower weight, or not the chart's.
    const env = podSpec(job)!.containers[0]!.env!;
    const secretName = env.find((e) => e.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!.name;
    const hookSecret = manifests.find((m) => m.kind === 'Secret' && m.metadata.name === secretName);
    if (hookSecret) {
      expect(hookSecret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(jobWeight);
    } else {
      expect(secretName).toBe('heartbeat-database');
    }
    // The apps are ordinary release objects, created after every pre-install hook has succeeded.
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      expect(deployment.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
    }
  });

  it.each(Object.keys(VALUE_SETS))('keeps every secret value out of ConfigMaps (%s)', (set) => {
    const valuesText = VALUE_SETS[set]!.files.map((file) => readFileSync(path.join(VALUES, file), 'utf8')).join('\n');
    const values = { ...(parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as object), ...(parse(valuesText || '{}') as object) } as {
      database: { url: string };
      redis: { url: string };
    };
    const manifests = rendered[set]!;
    const secrets = manifests.filter((m) => m.kind === 'Secret').flatMap((m) => Object.values(m.stringData ?? {}));
    const configMaps = manifests.filter((m) => m.kind === 'ConfigMap').map((m) => JSON.stringify(m.data));
    const secretValues = [
      ...secrets,
      values.database.url,
      values.redis.url,
      'test-s3-secret-key',
      'hb_test_bootstrap_key',
      'test-console-session-secret-0123456789abcdef',
    ];
    for (const value of secretValues.filter((v) => v.length > 0)) {
      for (const configMap of configMaps) expect(configMap).not.toContain(value);
    }
    // Every secret setting reaches the apps through secretKeyRef, never as a plain value.
    for (const workload of manifests.filter((m) => m.kind === 'Deployment')) {
      for (const entry of podSpec(workload)!.containers[0]!.env ?? []) {
        if (SECRET_SETTINGS.includes(entry.name)) {
          expect(entry.valueFrom?.secretKeyRef, `${workload.metadata.name} ${entry.name}`).toBeDefined();
        }
      }
    }
  });

  it('takes database, Redis, S3 and API-key secrets from existing Secrets and makes none of its own', () => {
    const manifests = rendered['existing-secrets']!;
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const env = podSpec(find(manifests, 'Deployment', '-gateway'))!.containers[0]!.env!;
    const refs = Object.fromEntries(env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom!.secretKeyRef]));
    expect(refs).toEqual({
      DATABASE_URL: { name: 'heartbeat-database', key: 'uri' },
      REDIS_URL: { name: 'heartbeat-redis', key: 'url' },
      S3_ACCESS_KEY_ID: { name: 'heartbeat-s3', key: 'access-key' },
      S3_SECRET_ACCESS_KEY: { name: 'heartbeat-s3', key: 'secret-key' },
      HEARTBEAT_BOOTSTRAP_API_KEY: { name: 'heartbeat-api-key', key: 'key' },
    });
    const consoleEnv = podSpec(find(manifests, 'Deployment', '-console'))!.containers[0]!.env!;
    expect(consoleEnv.find((e) => e.name === 'CONSOLE_SESSION_SECRET')?.valueFrom?.secretKeyRef).toEqual({
      name: 'heartbeat-console',
      key: 'session-secret',
    });
  });

  it('lets only the gateway and console accept traffic from outside the release', () => {
    const policies = rendered.defaults!.filter((m) => m.kind === 'NetworkPolicy');
    const open = policies.filter((p) => {
      const ingress = (p.spec as { ingress?: { from?: unknown[]; ports?: { port: string }[] }[] }).ingress ?? [];
      return ingress.some((rule) => rule.from === undefined);
    });
    expect(open.map((p) => p.metadata.name).sort()).toEqual(['hb-heartbeat-console', 'hb-heartbeat-gateway']);
    const defaultPolicy = find(policies, 'NetworkPolicy', '-default');
    expect((defaultPolicy.spec as { policyTypes: string[] }).policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('adds ingress with TLS, ServiceMonitors and the monitoring objects when switched on', () => {
    const manifests = rendered['gpu-keda-ingress-monitoring']!;
    const ingress = find(manifests, 'Ingress', 'hb-heartbeat');
    expect((ingress.spec as { tls: unknown[] }).tls).toEqual([{ secretName: 'heartbeat-tls', hosts: ['heartbeat.hospital.example', 'console.heartbeat.hospital.example'] }]);
    expect(manifests.filter((m) => m.kind === 'ServiceMonitor')).toHaveLength(3);
    if (MONITORING.ruleGroups > 0) {
      const rule = find(manifests, 'PrometheusRule', 'hb-heartbeat');
      expect((rule.spec as { groups: unknown[] }).groups).toHaveLength(MONITORING.ruleGroups);
    }
    if (MONITORING.dashboards > 0) {
      const dashboards = find(manifests, 'ConfigMap', '-dashboards');
      expect(dashboards.metadata.labels?.grafana_dashboard).toBe('1');
      expect(Object.keys(dashboards.data ?? {})).toHaveLength(MONITORING.dashboards);
    }
    expect(rendered.defaults!.some((m) => ['Ingress', 'ServiceMonitor', 'PrometheusRule', 'ScaledObject'].includes(m.kind))).toBe(false);
  });

  it('values.schema.json rejects a value of the wrong type and names it', () => {
    expect(() => render([], ['--set', 'gateway.replicaCount=two'])).toThrow(/at '\/gateway\/replicaCount': got string, want integer/);
    expect(() => render([], ['--set', 'inferenceWorker.gpu.enabled=maybe'])).toThrow(/inferenceWorker\/gpu\/enabled.*want boolean/);
    expect(() => render([], ['--set', 'gateway.replicas=3'])).toThrow(/additional properties 'replicas' not allowed/);
  });

  it('values.schema.json describes every value in values.yaml', () => {
    const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode;
    const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as unknown;
    expect(undescribed(values, schema, '')).toEqual([]);
  });
});

type SchemaNode = { type?: string | string[]; properties?: Record<string, SchemaNode>; additionalProperties?: boolean | SchemaNode };

/** Paths of values.yaml that the schema does not describe (no property, no typed additionalProperties). */
function undescribed(value: unknown, schema: SchemaNode | undefined, where: string): string[] {
  if (!schema || (schema.type === undefined && !schema.properties)) return [where || '/'];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  if (!schema.properties) return typeof schema.type === 'string' && schema.type === 'object' ? [] : [where];
  return Object.entries(value).flatMap(([key, child]) => {
    const childSchema = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    return undescribed(child, childSchema, `${where}/${key}`);
  });
}
