// The soak's section of docs/reliability.md, from tmp/reliability/soak.json (npm run bench:soak).

export interface SoakReport {
  at: string;
  command: string;
  /** How the soak started the apps (absent in reports from before it said). */
  build?: 'compiled' | 'sources';
  minutes: number;
  warmupMinutes: number;
  wallSeconds: number;
  loadBefore: { loadAverage1m: number };
  loadAfter: { loadAverage1m: number };
  screening: {
    batchSize: number;
    batchesInFlight: number;
    batches: number;
    recordingsScreened: number;
    recordingsPerMinute: number;
  };
  predict: { clients: number; requests: number; ok: number; p50Ms: number; p99Ms: number; maxMs: number };
  errors: { total: number; screening: number; predict: number; first: { at: string; what: string }[] };
  gatewayEventLoopLagMs: {
    samples: number;
    meanOfMeans: number | null;
    worstP99: number;
    max: number;
  } | null;
  rss: Record<string, { startMb: number; endMb: number; growthPercent: number | null }>;
  worstRssGrowthPercent: number;
  met: boolean;
  /** RSS of each process once a minute, start and end included. */
  rssByMinute?: { minute: number; mb: Record<string, number> }[];
}

/** Lowest and highest of a process's once-a-minute RSS samples, or '-' without samples. */
function rssRange(soak: SoakReport, name: string): string {
  const samples = (soak.rssByMinute ?? []).map((sample) => sample.mb[name]).filter((mb) => mb !== undefined);
  return samples.length === 0 ? '-' : `${Math.min(...samples)}-${Math.max(...samples)}`;
}

export function soakSection(soak: SoakReport | undefined): string[] {
  const lines = ['## Soak', ''];
  if (!soak)
    return [...lines, 'Not measured in this report: the soak has not run (`npm run bench:soak`).', ''];
  const lag = soak.gatewayEventLoopLagMs;
  lines.push(
    `Measured ${soak.at} with \`${soak.command}\` (after a ${soak.warmupMinutes}-min warm-up under the same load; a private stack with two model processes on a shared 2-core machine, load average ${soak.loadBefore.loadAverage1m} at the start and ${soak.loadAfter.loadAverage1m} at the end, so rates and latencies are lower bounds): **${soak.errors.total} errors**, worst RSS growth of the gateway and inference processes **${soak.worstRssGrowthPercent} %** (goal: 0 errors, at most 10 %; ${soak.met ? 'met' : 'not met'}).`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Screening (${soak.screening.batchesInFlight} batches of ${soak.screening.batchSize} in flight) | ${soak.screening.recordingsScreened} recordings in ${soak.screening.batches} batches, ${soak.screening.recordingsPerMinute} per minute |`,
    `| /predict stream (${soak.predict.clients} client) | ${soak.predict.requests} requests, ${soak.predict.ok} answered 200; p50 ${soak.predict.p50Ms} ms, p99 ${soak.predict.p99Ms} ms, max ${soak.predict.maxMs} ms |`,
    `| Errors | ${soak.errors.screening} on the screening side, ${soak.errors.predict} on /predict |`,
    `| Gateway event-loop lag (${lag?.samples ?? 0} scrapes of 10 s) | ${lag ? `mean ${lag.meanOfMeans ?? '-'} ms, worst p99 ${lag.worstP99} ms, max ${lag.max} ms` : 'not read'} |`,
    '',
    '| Process | RSS at start (MB) | RSS at end (MB) | Growth | Lowest-highest once a minute (MB) |',
    '|---|---|---|---|---|',
    ...Object.entries(soak.rss).map(
      ([name, rss]) =>
        `| ${name} | ${rss.startMb} | ${rss.endMb} | ${rss.growthPercent === null ? '-' : `${rss.growthPercent} %`} | ${rssRange(soak, name)} |`,
    ),
    '',
    `The gateway and the inference processes are judged; s3rver (the test S3 server), Redis (finished jobs up to their retention counts) and PostgreSQL grow with the data they hold. The apps ran ${soak.build === 'compiled' ? 'from the compiled build the images run' : 'from the sources through SWC (`--sources`), whose transpiled code and source maps in memory make the gateway swing by about 20 %'}.`,
    '',
  );
  if (soak.errors.first.length > 0)
    lines.push('First errors:', '', ...soak.errors.first.map((error) => `- ${error.at}: ${error.what}`), '');
  return lines;
}
