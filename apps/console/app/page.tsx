// Overview: is everything up, which model serves, how busy the queue is, and the latest results.
import Link from 'next/link';
import type { HealthReport } from '@heartbeat/api-client';
import { AutoRefresh } from '../components/auto-refresh';
import { PredictionTable } from '../components/prediction-table';
import { consoleConfig } from '../lib/config';
import {
  DEPENDENCY_NAMES,
  dependencyAdvice,
  downDependencies,
  figure,
  formatDuration,
  type Dependency,
} from '../lib/presentation';
import { parsePrometheusText, queueDepth } from '../lib/prometheus-text';
import { gatewayFor, requireSession } from '../lib/server-session';
import { load } from '../lib/settled';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Overview · HeartBeat' };

async function readQueueDepth(url: string): Promise<Record<string, number> | null> {
  const response = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(3_000) });
  if (!response.ok) throw new Error(`answered ${response.status}`);
  return queueDepth(parsePrometheusText(await response.text()));
}

export default async function OverviewPage({
  searchParams,
}: {
  searchParams: Promise<{ forbidden?: string }>;
}) {
  const session = await requireSession();
  const { forbidden } = await searchParams;
  const config = consoleConfig();
  const gateway = gatewayFor(session);
  const since = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const [health, model, recent, lastFive, lastHour, queue] = await Promise.all([
    load(gateway.health()),
    load(gateway.promotedModelMetrics()),
    load(gateway.predictionHistory({ limit: 8 })),
    load(gateway.predictionHistory({ limit: 1, from: since(5) })),
    load(gateway.predictionHistory({ limit: 1, from: since(60) })),
    load(readQueueDepth(config.gatewayMetricsUrl)),
  ]);
  const report: HealthReport | null = health.ok ? health.value : null;
  const down = downDependencies(report);
  const statusOf = (dependency: Exclude<Dependency, 'gateway'>) => report?.checks[dependency] ?? 'unknown';

  return (
    <>
      <h1>Overview</h1>
      {forbidden ? (
        <p className="error">That page is for admins; your key has the {session.role} role.</p>
      ) : null}
      <AutoRefresh seconds={5} renderedAt={new Date().toISOString()} />
      <section aria-labelledby="status-title" className="panel">
        <h2 id="status-title">
          System status:{' '}
          <span
            data-testid="overall-status"
            className={
              report
                ? report.status === 'ok'
                  ? 'up'
                  : report.status === 'degraded'
                    ? 'degraded'
                    : 'down'
                : 'down'
            }
          >
            {report ? (report.status === 'ok' ? 'all up' : report.status) : 'gateway down'}
          </span>
        </h2>
        <div className="grid">
          <div>
            <div className="dep" data-testid="dep-gateway">
              <span>{DEPENDENCY_NAMES.gateway}</span>
              <strong className={report ? 'up' : 'down'}>{report ? 'up' : 'down'}</strong>
            </div>
            {(['database', 'redis', 'storage', 'model'] as const).map((dependency) => (
              <div className="dep" key={dependency} data-testid={`dep-${dependency}`}>
                <span>{DEPENDENCY_NAMES[dependency]}</span>
                <strong
                  className={
                    statusOf(dependency) === 'up' ? 'up' : statusOf(dependency) === 'down' ? 'down' : 'muted'
                  }
                >
                  {statusOf(dependency)}
                </strong>
              </div>
            ))}
          </div>
          <div>
            <dl className="facts">
              <dt>Gateway uptime</dt>
              <dd>{report ? formatDuration(report.uptimeSeconds) : '—'}</dd>
              <dt>Gateway URL</dt>
              <dd>
                <code>{config.gatewayUrl}</code>
              </dd>
              <dt>Workers</dt>
              <dd>
                {report
                  ? report.workers.length === 0
                    ? 'none registered'
                    : report.workers
                        .map(
                          (w) =>
                            `${w.workerId} (${w.ready ? 'ready' : 'starting'}, ${w.modelVersion ?? 'no model'}, ${w.inFlight} in flight)`,
                        )
                        .join('; ')
                  : '—'}
              </dd>
              <dt>Serving versions</dt>
              <dd>{report?.modelVersions.join(', ') || '—'}</dd>
            </dl>
          </div>
        </div>
        {down.map((dependency) => (
          <p className="fix" key={dependency} role="status">
            <strong>{DEPENDENCY_NAMES[dependency]} is down.</strong>{' '}
            {dependencyAdvice(dependency, config.gatewayUrl)}
            {dependency === 'gateway' && !health.ok ? <span className="muted"> ({health.error})</span> : null}
          </p>
        ))}
      </section>

      <div className="grid">
        <section className="panel" aria-labelledby="model-title">
          <h2 id="model-title">Promoted model</h2>
          {model.ok ? (
            <>
              <div className="figure" data-testid="promoted-version">
                {model.value.modelVersion}
              </div>
              <dl className="facts">
                <dt>MAcc</dt>
                <dd>{figure(model.value.macc)}</dd>
                <dt>AUC</dt>
                <dd>{figure(model.value.auc)}</dd>
                <dt>Sensitivity</dt>
                <dd>{figure(model.value.sensitivity)}</dd>
                <dt>Specificity</dt>
                <dd>{figure(model.value.specificity)}</dd>
                <dt>Promoted</dt>
                <dd>
                  {model.value.promotedAt ? new Date(model.value.promotedAt).toLocaleString('en-GB') : '—'}
                </dd>
              </dl>
              <p className="small">
                <Link href="/models">All versions →</Link>
              </p>
            </>
          ) : (
            <p className="muted">
              {model.code === 'NO_PROMOTED_MODEL'
                ? 'No model is promoted yet. The first inference worker registers and promotes the shipped model when it starts.'
                : `Not available: ${model.error}`}
            </p>
          )}
        </section>
        <section className="panel" aria-labelledby="queue-title">
          <h2 id="queue-title">Queue and throughput</h2>
          {queue.ok && queue.value ? (
            <dl className="facts" data-testid="queue-depth">
              <dt>Waiting</dt>
              <dd>{queue.value.waiting ?? 0}</dd>
              <dt>Active</dt>
              <dd>{queue.value.active ?? 0}</dd>
              <dt>Delayed (retrying)</dt>
              <dd>{queue.value.delayed ?? 0}</dd>
            </dl>
          ) : (
            <p className="muted small">
              Queue depth unknown: the gateway&apos;s metrics endpoint ({config.gatewayMetricsUrl}){' '}
              {queue.ok ? 'has no queue figures yet' : `did not answer (${queue.error})`}. Set
              GATEWAY_METRICS_URL if it listens elsewhere.
            </p>
          )}
          <dl className="facts" style={{ marginTop: '.75rem' }}>
            <dt>Predictions, last 5 min</dt>
            <dd>
              {lastFive.ok ? `${lastFive.value.total} (${(lastFive.value.total / 5).toFixed(1)} / min)` : '—'}
            </dd>
            <dt>Predictions, last hour</dt>
            <dd>{lastHour.ok ? lastHour.value.total : '—'}</dd>
          </dl>
        </section>
      </div>

      <section className="panel" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent predictions</h2>
        {!recent.ok ? (
          <p className="error">Could not load the history: {recent.error}</p>
        ) : recent.value.items.length === 0 ? (
          <p className="muted">
            No predictions yet. <Link href="/screen">Screen a recording</Link> to see it here.
          </p>
        ) : (
          <PredictionTable
            items={recent.value.items}
            caption={`The ${recent.value.items.length} newest of ${recent.value.total}. Open a row for its result card.`}
          />
        )}
        <p className="small">
          <Link href="/history">Full history →</Link>
        </p>
      </section>
    </>
  );
}
