// Renders helm/heartbeat for one node and prints what `podman kube play` can run (used by
// scripts/deploy/smoke.sh). The chart is rendered as a cluster would get it, with single-node values
// (one replica, no autoscalers or disruption budgets); then, for podman 4.3:
//  - only Deployments, ConfigMaps and Secrets are kept (podman runs no Services, Jobs, HPAs, policies;
//    the migrations Job's work is done by the compose stack's migrate container on the same database);
//  - pods use the host's network, so they reach the stack's PostgreSQL, Redis and S3 on loopback and
//    serve their ports there (podman serves hostPorts, not Services); the containers' port lists go
//    (podman refuses port mappings on the host network) and the probes name port numbers;
//  - secretKeyRef and configMapKeyRef are resolved into values (podman 4.3 does not read them from
//    objects in the same file);
//  - the probes stay: podman turns the liveness probe into a health check.
//   node -r @swc-node/register scripts/deploy/render-for-podman.ts --set key=value ... > pods.yaml
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { helm, REPOSITORY_ROOT } from './helm';

type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
};
type Manifest = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: {
      spec: {
        hostNetwork?: boolean;
        containers: ({
          env?: EnvVar[];
          envFrom?: { configMapRef?: { name: string } }[];
          ports?: { name: string; containerPort: number }[];
        } & Partial<Record<(typeof PROBES)[number], { httpGet?: { port: string | number } }>>)[];
        serviceAccountName?: string;
      };
    };
  };
};

const PROBES = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;

const SINGLE_NODE = [
  'gateway.replicaCount=1',
  'gateway.autoscaling.enabled=false',
  'gateway.pdb.enabled=false',
  'inferenceWorker.replicaCount=1',
  'inferenceWorker.autoscaling.enabled=false',
  'inferenceWorker.pdb.enabled=false',
  'networkPolicy.enabled=false',
  'serviceAccount.create=false',
  'migrations.enabled=false',
];

const overrides = process.argv
  .slice(2)
  .flatMap((arg, index, all) => (arg === '--set' && all[index + 1] ? [all[index + 1]!] : []));
const rendered = helm([
  'template',
  'heartbeat',
  path.join(REPOSITORY_ROOT, 'helm', 'heartbeat'),
  ...[...SINGLE_NODE, ...overrides].flatMap((value) => ['--set', value]),
]);
const manifests = parseAllDocuments(rendered)
  .map((doc) => doc.toJS() as Manifest | null)
  .filter((doc): doc is Manifest => doc !== null);

const configMaps = new Map(
  manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]),
);
const secrets = new Map(
  manifests.filter((m) => m.kind === 'Secret').map((m) => [m.metadata.name, m.stringData ?? {}]),
);

const gatewayPort = configMaps.get('heartbeat-config')?.PORT ?? '8000';

const lookup = (
  from: Map<string, Record<string, string>>,
  ref: { name: string; key: string },
  kind: string,
): string => {
  const value = from.get(ref.name)?.[ref.key];
  if (value === undefined) throw new Error(`${kind} ${ref.name} has no key ${ref.key} in the rendered chart`);
  return value;
};

const pods = manifests
  .filter((m) => m.kind === 'Deployment')
  .map((deployment) => {
    const pod = deployment.spec!.template!.spec;
    pod.hostNetwork = true;
    delete pod.serviceAccountName;
    for (const container of pod.containers) {
      // On the host network podman refuses port mappings: the probes name the port numbers instead.
      const portNumbers = new Map((container.ports ?? []).map((port) => [port.name, port.containerPort]));
      for (const probe of PROBES) {
        const httpGet = container[probe]?.httpGet;
        if (httpGet && typeof httpGet.port === 'string')
          httpGet.port = portNumbers.get(httpGet.port) ?? httpGet.port;
      }
      delete container.ports;
      const fromConfigMaps = (container.envFrom ?? []).flatMap((source) =>
        source.configMapRef
          ? Object.entries(configMaps.get(source.configMapRef.name) ?? {}).map(([name, value]) => ({
              name,
              value,
            }))
          : [],
      );
      delete container.envFrom;
      const own = (container.env ?? []).map((entry) => {
        if (entry.valueFrom?.secretKeyRef)
          return { name: entry.name, value: lookup(secrets, entry.valueFrom.secretKeyRef, 'Secret') };
        if (entry.valueFrom?.configMapKeyRef)
          return {
            name: entry.name,
            value: lookup(configMaps, entry.valueFrom.configMapKeyRef, 'ConfigMap'),
          };
        return entry;
      });
      container.env = [
        ...fromConfigMaps.filter((entry) => !own.some((o) => o.name === entry.name)),
        ...own,
      ].map((entry) =>
        // No Service names on the host network: the console finds the gateway on loopback.
        entry.name === 'HEARTBEAT_GATEWAY_URL'
          ? { name: entry.name, value: `http://127.0.0.1:${gatewayPort}` }
          : entry,
      );
    }
    return deployment;
  });

process.stdout.write(pods.map((pod) => `---\n${stringify(pod)}`).join(''));
