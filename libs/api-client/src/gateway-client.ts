// A small typed client for the gateway's HTTP API. Every call sends the API key (reads need one too),
// and every failure becomes a GatewayError carrying the gateway's stable `code` and its message, or
// GATEWAY_UNREACHABLE when nothing answered.
import type {
  ApiErrorBody,
  ApiKeyInfo,
  AuditEvent,
  AuditEventsQuery,
  BatchResults,
  BatchStatus,
  ClassDistribution,
  HealthReport,
  HistoryQuery,
  ModelChange,
  ModelVersion,
  Page,
  Prediction,
  PredictionCounts,
  PredictionCountsQuery,
  PromotedModelMetrics,
  Role,
  Site,
  TrainingRun,
  Uptime,
  ValidationCurves,
} from './types';

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  /** 0 when the gateway did not answer at all. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

export interface GatewayClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function errorFrom(response: Response): Promise<GatewayError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (typeof body.code === 'string' && typeof body.message === 'string')
      return new GatewayError(response.status, body.code, body.message, body.details);
  } catch {
    // not JSON: fall through
  }
  return new GatewayError(
    response.status,
    `HTTP_${response.status}`,
    `The gateway answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`,
  );
}

export class GatewayClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: GatewayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The raw response of one call with the key attached, for streaming uploads and downloads through. */
  async send(
    method: string,
    path: string,
    init: { query?: Query; headers?: HeadersInit; body?: BodyInit | null; timeoutMs?: number } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.options.apiKey) headers.set('authorization', `Bearer ${this.options.apiKey}`);
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}${queryString(init.query)}`, {
        method,
        headers,
        body: init.body ?? undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(init.timeoutMs ?? this.timeoutMs),
        cache: 'no-store',
        // Node's fetch needs this to stream a request body.
        ...(init.body && typeof (init.body as ReadableStream).getReader === 'function'
          ? { duplex: 'half' }
          : {}),
      } as RequestInit);
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `did not answer within ${((init.timeoutMs ?? this.timeoutMs) / 1000).toFixed(0)} s`
          : 'is not reachable';
      throw new GatewayError(
        0,
        'GATEWAY_UNREACHABLE',
        `The gateway at ${this.baseUrl} ${reason}. Check that it runs (npm run quickstart starts it) and that HEARTBEAT_GATEWAY_URL points at it.`,
      );
    }
  }

  private async json<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const response = await this.send(method, path, {
      query: init.query,
      headers:
        init.body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }

  /**
   * Which role the key has. The gateway has no "who am I" endpoint, so this asks for an admin-only
   * list: 200 means admin, 403 FORBIDDEN_ROLE names the key's role, 401 means the key is not valid.
   */
  async identify(): Promise<{ role: Role; name: string | null }> {
    const response = await this.send('GET', '/api/v1/api-keys', { headers: { accept: 'application/json' } });
    if (response.ok) {
      const keys = (await response.json()) as ApiKeyInfo[];
      const mine = keys.find((key) => !key.revokedAt && this.options.apiKey?.startsWith(key.keyPrefix));
      return { role: 'admin', name: mine?.name ?? null };
    }
    const error = await errorFrom(response);
    const role = error.details?.role;
    if (error.code === 'FORBIDDEN_ROLE' && (role === 'screening' || role === 'admin'))
      return { role, name: null };
    throw error;
  }

  health = () => this.json<HealthReport>('GET', '/health');
  uptime = () => this.json<Uptime>('GET', '/uptime');
  predictionHistory = (query: HistoryQuery = {}) =>
    this.json<Page<Prediction>>('GET', '/visualizations/prediction-history', { query: { ...query } });
  /** Predictions per hour, day or week by result over every match, counted by the gateway's database. */
  predictionCounts = (query: PredictionCountsQuery = {}) =>
    this.json<PredictionCounts>('GET', '/api/v1/predictions/counts', { query: { ...query } });
  prediction = (id: string) => this.json<Prediction>('GET', `/api/v1/predictions/${encodeURIComponent(id)}`);
  batch = (id: string) => this.json<BatchStatus>('GET', `/api/v1/batches/${encodeURIComponent(id)}`);
  batchResults = (id: string, page: { limit?: number; offset?: number } = {}) =>
    this.json<BatchResults>('GET', `/api/v1/batches/${encodeURIComponent(id)}/results`, { query: page });
  recordingLink = (recordingId: string) =>
    this.json<{ url: string; fileName: string; expiresInSeconds: number }>(
      'GET',
      `/api/v1/recordings/${encodeURIComponent(recordingId)}/download`,
      {
        query: { format: 'json' },
      },
    );
  promotedModelMetrics = () => this.json<PromotedModelMetrics>('GET', '/metrics');
  classDistribution = () => this.json<ClassDistribution>('GET', '/visualizations/class-distribution');
  models = () => this.json<{ items: ModelVersion[] }>('GET', '/api/v1/models');
  model = (version: string) =>
    this.json<ModelVersion>('GET', `/api/v1/models/${encodeURIComponent(version)}`);
  validationCurves = (version: string, subset?: string) =>
    this.json<ValidationCurves>('GET', `/api/v1/models/${encodeURIComponent(version)}/validation-curves`, {
      query: { subset },
    });
  /** Admin only. */
  auditEvents = (query: AuditEventsQuery = {}) =>
    this.json<Page<AuditEvent>>('GET', '/api/v1/audit-events', { query: { ...query } });
  promote = (version: string, reason?: string) =>
    this.json<ModelChange>('POST', `/api/v1/models/${encodeURIComponent(version)}/promote`, {
      body: { reason },
    });
  rollback = (reason?: string) =>
    this.json<ModelChange>('POST', '/api/v1/models/rollback', { body: { reason } });
  retire = (version: string, reason?: string) =>
    this.json<ModelVersion>('POST', `/api/v1/models/${encodeURIComponent(version)}/retire`, {
      body: { reason },
    });
  trainingStatus = () => this.json<{ run: TrainingRun | null }>('GET', '/api/v1/training-status');
  trainingRuns = (page: { limit?: number; offset?: number } = {}) =>
    this.json<Page<TrainingRun>>('GET', '/api/v1/training-runs', { query: page });
  trainingRun = (id: string) =>
    this.json<TrainingRun>('GET', `/api/v1/training-runs/${encodeURIComponent(id)}`);
  startTraining = (params: Record<string, unknown> = {}) =>
    this.json<TrainingRun>('POST', '/api/v1/training-runs', { body: { params } });
  cancelTraining = (id: string) =>
    this.json<TrainingRun>('POST', `/api/v1/training-runs/${encodeURIComponent(id)}/cancel`, { body: {} });
  apiKeys = () => this.json<ApiKeyInfo[]>('GET', '/api/v1/api-keys');
  createApiKey = (name: string, role: Role) =>
    this.json<{ apiKey: ApiKeyInfo; secret: string }>('POST', '/api/v1/api-keys', { body: { name, role } });
  revokeApiKey = (id: string) =>
    this.json<ApiKeyInfo>('DELETE', `/api/v1/api-keys/${encodeURIComponent(id)}`);
  sites = () => this.json<{ items: Site[] }>('GET', '/api/v1/sites');
  /** Fits the site's operating point on all its labelled records; sensitivityMargin: how far below the model's validation sensitivity it may go. */
  startSiteCalibration = (site: string, sensitivityMargin?: number) =>
    this.json<TrainingRun>('POST', `/api/v1/sites/${encodeURIComponent(site)}/calibrations`, {
      body: sensitivityMargin === undefined ? {} : { sensitivityMargin },
    });
}
