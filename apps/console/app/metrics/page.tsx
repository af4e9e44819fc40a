// Service metrics from Prometheus: request rate, latency, queue, inference outcomes, batch sizes,
// errors. Without PROMETHEUS_URL (or with it unreachable) the page says how to connect one.
import { AutoRefresh } from '../../components/auto-refresh';
import { MetricChart, type ChartSeries } from '../../components/metric-chart';
import { consoleConfig } from '../../lib/config';
import { prometheusReachable, queryRange } from '../../lib/prometheus';
import { requireSession } from '../../lib/server-session';
import { SERVICE_CHARTS, seriesName } from '../../lib/service-queries';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Metrics · HeartBeat' };

const MINUTES = 30;
const STEP_SECONDS = 15;

function HowToConnect({ problem }: { problem: string | null }) {
  return (
    <section className="panel" data-testid="prometheus-missing">
      <h2>{problem ? 'Prometheus does not answer' : 'No Prometheus connected'}</h2>
      {problem ? <p className="error">{problem}</p> : null}
      <p>
        This page charts the services&apos; metrics from a Prometheus server that scrapes them. To connect
        one:
      </p>
      <ol>
        <li>
          Run Prometheus with the scrape configuration in <code>deploy/prometheus/</code> (the quickstart
          starts one on 127.0.0.1:9090; the Helm chart scrapes with the Prometheus operator). Every service
          serves <code>/metrics</code> on its metrics port: gateway 9100, inference worker 9101, training
          worker 9102.
        </li>
        <li>
          Start the console with <code>PROMETHEUS_URL=http://127.0.0.1:9090</code> (and optionally{' '}
          <code>GRAFANA_URL</code> for a dashboard link).
        </li>
      </ol>
    </section>
  );
}

export default async function MetricsPage() {
  await requireSession();
  const config = consoleConfig();
  const grafana = config.grafanaUrl ? (
    <p>
      <a href={config.grafanaUrl} target="_blank" rel="noreferrer">
        Open the Grafana dashboard ↗
      </a>
    </p>
  ) : null;
  if (!config.prometheusUrl)
    return (
      <>
        <h1>Service metrics</h1>
        {grafana}
        <HowToConnect problem={null} />
      </>
    );
  const reachable = await prometheusReachable(config.prometheusUrl);
  if (!reachable.ok)
    return (
      <>
        <h1>Service metrics</h1>
        {grafana}
        <HowToConnect
          problem={`${config.prometheusUrl}: ${reachable.message}. Check that it runs and that PROMETHEUS_URL is right.`}
        />
      </>
    );
  const prometheusUrl = config.prometheusUrl;
  const charts = await Promise.all(
    SERVICE_CHARTS.map(async (chart) => {
      const answers = await Promise.all(
        chart.queries.map((q) =>
          queryRange(prometheusUrl, q.promql, { minutes: MINUTES, stepSeconds: STEP_SECONDS }),
        ),
      );
      const errors = answers.flatMap((a) => (a.ok ? [] : [a.error]));
      const series: ChartSeries[] = answers.flatMap((a, i) =>
        a.ok
          ? a.series.map((s) => ({ name: seriesName(chart.queries[i].name, s.labels), points: s.points }))
          : [],
      );
      return { chart, series, errors };
    }),
  );
  return (
    <>
      <h1>Service metrics</h1>
      <p className="muted small">
        Last {MINUTES} minutes from <code>{prometheusUrl}</code>.
      </p>
      {grafana}
      <AutoRefresh seconds={15} renderedAt={new Date().toISOString()} />
      <div className="grid">
        {charts.map(({ chart, series, errors }) => (
          <section className="panel" key={chart.id} aria-labelledby={`title-${chart.id}`}>
            <h2 id={`title-${chart.id}`}>{chart.title}</h2>
            {errors.length > 0 ? <p className="error">{errors.join(' ')}</p> : null}
            {series.some((s) => s.points.length > 0) ? (
              <MetricChart id={chart.id} series={series} unit={chart.unit} />
            ) : (
              <p className="muted" data-testid={`empty-${chart.id}`}>
                No data yet: Prometheus has no samples for this in the last {MINUTES} minutes (the service may
                not be scraped, or has not done this yet).
              </p>
            )}
          </section>
        ))}
      </div>
    </>
  );
}
