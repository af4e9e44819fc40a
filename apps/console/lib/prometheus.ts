// Queries a Prometheus server's HTTP API (instant and range queries) for the /metrics page.

export interface Series {
  labels: Record<string, string>;
  points: { t: number; v: number }[];
}

export type QueryOutcome = { ok: true; series: Series[] } | { ok: false; error: string };

interface PrometheusAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
  };
}

export function seriesFromAnswer(answer: PrometheusAnswer): QueryOutcome {
  if (answer.status !== 'success' || !answer.data)
    return { ok: false, error: answer.error ?? 'Prometheus answered without data' };
  return {
    ok: true,
    series: answer.data.result.map((result) => ({
      labels: result.metric,
      points: (result.values ?? (result.value ? [result.value] : []))
        .map(([t, v]) => ({ t: t * 1000, v: Number(v) }))
        .filter((point) => Number.isFinite(point.v)),
    })),
  };
}

export async function queryRange(
  baseUrl: string,
  query: string,
  options: { minutes: number; stepSeconds: number; now?: number },
): Promise<QueryOutcome> {
  const end = Math.floor((options.now ?? Date.now()) / 1000);
  const params = new URLSearchParams({
    query,
    start: String(end - options.minutes * 60),
    end: String(end),
    step: String(options.stepSeconds),
  });
  try {
    const response = await fetch(`${baseUrl}/api/v1/query_range?${params}`, {
      cache: 'no-store',
      signal: AbortSignal.timeout(5_000),
    });
    return seriesFromAnswer((await response.json()) as PrometheusAnswer);
  } catch (error) {
    return { ok: false, error: `Prometheus at ${baseUrl} did not answer (${(error as Error).message}).` };
  }
}

export async function prometheusReachable(baseUrl: string): Promise<{ ok: boolean; message: string }> {
  try {
    const response = await fetch(`${baseUrl}/-/ready`, {
      cache: 'no-store',
      signal: AbortSignal.timeout(3_000),
    });
    return response.ok
      ? { ok: true, message: 'ready' }
      : { ok: false, message: `answered ${response.status}` };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
