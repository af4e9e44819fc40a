// The HeartBeat Grafana dashboard, built typed with the Grafana Foundation SDK. The checked-in JSON
// (deploy/grafana/dashboards/heartbeat.json) is generated from this file by
// `npm run dashboard:generate`; a test fails when the two differ. Every query reads metrics the
// services expose (the live-Prometheus test evaluates each one against the real stack).
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const DASHBOARD_UID = 'heartbeat-overview';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Selects the services picked in the `service` variable (all by default). */
const SERVICE = 'service=~"$service"';
const RATE = '$__rate_interval';

interface Query {
  expr: string;
  legend?: string;
}

function queries(list: Query[]): DataqueryBuilder[] {
  return list.map(({ expr, legend }, index) =>
    new DataqueryBuilder()
      .expr(expr)
      .legendFormat(legend ?? '__auto')
      .refId(String.fromCharCode(65 + index))
      .datasource(DATASOURCE),
  );
}

function timeseries(
  title: string,
  description: string,
  unit: string,
  list: Query[],
  width = 12,
): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .span(width)
    .height(8)
    .targets(queries(list));
}

function stat(title: string, description: string, unit: string, list: Query[], width = 6): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .span(width)
    .height(4)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .targets(queries(list));
}

/** p50, p90 and p99 of a histogram, summed over everything but `by`. */
function quantiles(histogram: string, selector: string, by: string[] = []): Query[] {
  const groups = ['le', ...by].join(', ');
  const suffix = by.length ? ` {{${by.join('}} {{')}}}` : '';
  return [0.5, 0.9, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${groups}) (rate(${histogram}_bucket{${selector}}[${RATE}])))`,
    legend: `p${Math.round(q * 100)}${suffix}`,
  }));
}

export function buildHeartbeatDashboard(): Dashboard {
  const builder = new DashboardBuilder('HeartBeat')
    .uid(DASHBOARD_UID)
    .description(
      "Heart-sound screening service: traffic, latency, queue, inference, predictions, training and each service's resources.",
    )
    .tags(['heartbeat'])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('service')
        .label('Service')
        .datasource(DATASOURCE)
        .query('label_values(up{job=~"heartbeat-.*"}, service)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    );

  builder.withRow(new RowBuilder('Overview'));
  builder
    .withPanel(
      stat('Services up', 'Scrape targets answering (1) or not (0).', 'none', [
        { expr: `up{job=~"heartbeat-.*", ${SERVICE}}`, legend: '{{service}} {{instance}}' },
      ]),
    )
    .withPanel(
      stat('Services ready', '/health/ready of each service: 1 ready, 0 holding traffic back.', 'none', [
        { expr: `heartbeat_ready{${SERVICE}}`, legend: '{{service}} {{instance}}' },
      ]),
    )
    .withPanel(
      stat('Model served', 'Model version(s) the inference workers serve.', 'none', [
        { expr: 'max by (version, backend) (heartbeat_model_info)', legend: '{{version}} ({{backend}})' },
      ]),
    )
    .withPanel(
      stat('Dead-letter jobs', 'Jobs that failed for good (GET /api/v1/dead-letter).', 'none', [
        { expr: 'max(heartbeat_gateway_dead_letter_jobs)', legend: 'dead letters' },
      ]),
    );

  builder.withRow(new RowBuilder('Traffic and latency'));
  builder
    .withPanel(
      timeseries('Throughput', 'HTTP requests answered per second, by route and status.', 'reqps', [
        {
          expr: `sum by (route, status) (rate(heartbeat_gateway_http_requests_total[${RATE}]))`,
          legend: '{{route}} {{status}}',
        },
      ]),
    )
    .withPanel(
      timeseries(
        '/predict latency',
        'Time from request to response for POST /predict (upload, queue, screening, answer).',
        's',
        quantiles('heartbeat_gateway_http_request_duration_seconds', 'route="/predict", method="POST"'),
      ),
    )
    .withPanel(
      timeseries('Latency by route (p99)', 'p99 of every route.', 's', [
        {
          expr: `histogram_quantile(0.99, sum by (le, route) (rate(heartbeat_gateway_http_request_duration_seconds_bucket[${RATE}])))`,
          legend: '{{route}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Uploads', 'Files uploaded per second by outcome, and bytes stored per second.', 'short', [
        {
          expr: `sum by (outcome) (rate(heartbeat_gateway_uploaded_files_total[${RATE}]))`,
          legend: 'files {{outcome}}',
        },
        { expr: `sum(rate(heartbeat_gateway_upload_bytes_total[${RATE}]))`, legend: 'bytes/s' },
      ]),
    );

  builder.withRow(new RowBuilder('Queue'));
  builder
    .withPanel(
      timeseries(
        'Queue depth',
        'Prediction jobs by state (every gateway reports the same queue: the max is shown).',
        'short',
        [{ expr: 'max by (state) (heartbeat_gateway_queue_jobs)', legend: '{{state}}' }],
      ),
    )
    .withPanel(
      timeseries(
        'Backlog age',
        'Age of the oldest prediction job waiting to start (objective 15 min).',
        's',
        [
          {
            expr: 'max(heartbeat_gateway_queue_oldest_waiting_job_age_seconds)',
            legend: 'oldest waiting job',
          },
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Job wait time',
        'From being queued to a worker starting the job (first attempts).',
        's',
        quantiles('heartbeat_inference_job_wait_seconds', ''),
      ),
    )
    .withPanel(
      timeseries('Jobs queued', 'Prediction jobs queued per second, by source.', 'short', [
        {
          expr: `sum by (source) (rate(heartbeat_gateway_predictions_queued_total[${RATE}]))`,
          legend: '{{source}}',
        },
      ]),
    );

  builder.withRow(new RowBuilder('Jobs and inference'));
  builder
    .withPanel(
      timeseries(
        'Job outcomes',
        'Prediction job attempts per second: succeeded, rejected (bad audio, answered), error (retried), held (a dependency out of reach).',
        'short',
        [{ expr: `sum by (outcome) (rate(heartbeat_inference_jobs_total[${RATE}]))`, legend: '{{outcome}}' }],
      ),
    )
    .withPanel(
      timeseries(
        'Job duration',
        'From a worker picking up a job to its outcome.',
        's',
        quantiles('heartbeat_inference_job_duration_seconds', ''),
      ),
    )
    .withPanel(
      timeseries(
        'Inference batch size',
        'Windows per model call, and recordings sharing one call (dynamic batching).',
        'short',
        [
          ...quantiles('heartbeat_inference_batch_windows', '').map((q) => ({
            ...q,
            legend: `windows ${q.legend}`,
          })),
          {
            expr: `histogram_quantile(0.5, sum by (le) (rate(heartbeat_inference_batch_requests_bucket[${RATE}])))`,
            legend: 'recordings p50',
          },
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Model call latency',
        'Duration of one model call.',
        's',
        quantiles('heartbeat_inference_batch_duration_seconds', ''),
      ),
    )
    .withPanel(
      timeseries(
        'Model load time',
        'Fetch and load of a model version: initial at start-up, swap on promotion.',
        's',
        [
          {
            expr: 'max by (kind) (heartbeat_model_load_duration_seconds_sum / heartbeat_model_load_duration_seconds_count)',
            legend: 'mean {{kind}}',
          },
          { expr: 'sum by (kind) (heartbeat_model_load_duration_seconds_count)', legend: 'loads {{kind}}' },
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Dependency errors',
        'Operations that failed because S3, PostgreSQL or Redis was out of reach (0 when none).',
        'short',
        [
          {
            expr: `sum by (service, dependency, operation) (rate(heartbeat_dependency_errors_total{${SERVICE}}[${RATE}])) or vector(0)`,
            legend: '{{service}} {{dependency}} {{operation}}',
          },
        ],
      ),
    );

  builder.withRow(new RowBuilder('Predictions'));
  builder
    .withPanel(
      timeseries(
        'Predictions by label',
        'Recordings screened per second, by label (rejected: bad audio).',
        'short',
        [
          {
            expr: `sum by (label) (rate(heartbeat_inference_predictions_total[${RATE}]))`,
            legend: '{{label}}',
          },
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Predictions by model version',
        'Recordings screened per second, by the model version that screened them.',
        'short',
        [
          {
            expr: `sum by (model_version) (rate(heartbeat_inference_predictions_total[${RATE}]))`,
            legend: '{{model_version}}',
          },
        ],
      ),
    );

  builder.withRow(new RowBuilder('Training'));
  builder
    .withPanel(
      timeseries(
        'Training progress',
        'Progress of the current run (0-1), and whether a run is active.',
        'percentunit',
        [
          { expr: 'max(heartbeat_training_progress_ratio)', legend: 'progress' },
          { expr: 'max(heartbeat_training_run_active)', legend: 'active' },
        ],
        8,
      ),
    )
    .withPanel(
      timeseries(
        'Epochs',
        'Last completed epoch of the current (or last) run, against the planned number.',
        'short',
        [
          { expr: 'max(heartbeat_training_epoch)', legend: 'epoch' },
          { expr: 'max(heartbeat_training_epochs)', legend: 'planned' },
        ],
        8,
      ),
    )
    .withPanel(
      timeseries(
        'Loss and validation',
        'Training loss and validation AUC / MAcc after the last completed epoch.',
        'short',
        [
          { expr: 'max(heartbeat_training_loss)', legend: 'loss' },
          { expr: 'max(heartbeat_training_validation_auc)', legend: 'validation AUC' },
          { expr: 'max(heartbeat_training_validation_macc)', legend: 'validation MAcc' },
        ],
        8,
      ),
    );

  builder.withRow(new RowBuilder('Service resources'));
  builder
    .withPanel(
      timeseries(
        'CPU',
        'CPU seconds per second used by each service process (supervised worker processes added up).',
        'percentunit',
        [
          {
            expr: `sum by (service, instance) (rate(process_cpu_seconds_total{${SERVICE}}[${RATE}]))`,
            legend: '{{service}} {{instance}}',
          },
        ],
        8,
      ),
    )
    .withPanel(
      timeseries(
        'Memory',
        'Resident memory of each service.',
        'bytes',
        [
          {
            expr: `sum by (service, instance) (process_resident_memory_bytes{${SERVICE}})`,
            legend: '{{service}} {{instance}}',
          },
        ],
        8,
      ),
    )
    .withPanel(
      timeseries(
        'Event-loop lag',
        'p99 event-loop delay: a busy loop delays every request and probe.',
        's',
        [
          {
            expr: `max by (service, instance) (nodejs_eventloop_lag_p99_seconds{${SERVICE}})`,
            legend: '{{service}} {{instance}}',
          },
        ],
        8,
      ),
    );

  const dashboard = builder.build();
  // Stable ids, so a re-imported dashboard keeps its panel links.
  (dashboard.panels ?? []).forEach((panel, index) => (panel.id = index + 1));
  return dashboard;
}

/** The checked-in JSON's text: what `npm run dashboard:generate` writes. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildHeartbeatDashboard(), null, 2)}\n`;
}

/** Every PromQL expression of the dashboard (panels and variables), as written. */
export function dashboardExpressions(dashboard: Dashboard = buildHeartbeatDashboard()): string[] {
  const expressions: string[] = [];
  for (const panel of dashboard.panels ?? []) {
    for (const target of (panel as { targets?: { expr?: string }[] }).targets ?? [])
      if (target.expr) expressions.push(target.expr);
  }
  return expressions;
}
