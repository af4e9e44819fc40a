// Reads Prometheus' text exposition format, enough to pick a few gauges from the gateway's metrics
// endpoint when no Prometheus server is configured.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL))
      labels[label[1]] = label[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(match[3]);
    if (!Number.isNaN(value) || match[3] === 'NaN') samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** Jobs in the prediction queue by state (waiting, active, delayed), from heartbeat_gateway_queue_jobs. */
export function queueDepth(samples: Sample[]): Record<string, number> | null {
  const depth: Record<string, number> = {};
  for (const sample of samples)
    if (sample.name === 'heartbeat_gateway_queue_jobs' && sample.labels.state)
      depth[sample.labels.state] = sample.value;
  return Object.keys(depth).length > 0 ? depth : null;
}
