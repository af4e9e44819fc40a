// Builds the configured Nest application (used by main.ts and by the tests): JSON logs, error format,
// validation, body limits, HTTP metrics, OpenAPI at /docs, and the bootstrap admin key.
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import helmet from 'helmet';
import type { Config } from '@heartbeat/config';
import { createLogger, NestJsonLogger, silentLogger, type Logger } from '@heartbeat/telemetry';
import { AppModule } from './app.module';
import { ACCESS_EXTENSION } from './auth/access.decorator';
import { ApiKeysService } from './auth/api-keys.service';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { createValidationPipe } from './common/validation';
import { accessLog } from './telemetry/access-log';
import { GatewayMetrics } from './telemetry/gateway-metrics';

export interface GatewayAppOptions {
  /**
   * Where the gateway logs, as JSON lines: a logger, false for nothing, or the Nest levels to keep
   * (tests). Default: stdout at LOG_LEVEL.
   */
  logger?: false | ('error' | 'warn' | 'log')[] | Logger;
}

function gatewayLogger(config: Config, option: GatewayAppOptions['logger']): Logger {
  if (option === false) return silentLogger();
  if (option === undefined) return createLogger({ service: 'gateway', level: config.logLevel });
  if (!Array.isArray(option)) return option;
  const level = option.includes('log')
    ? 'info'
    : option.includes('warn')
      ? 'warn'
      : option.includes('error')
        ? 'error'
        : 'silent';
  return createLogger({ service: 'gateway', level });
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('HeartBeat gateway')
    .setDescription(
      'Heart-sound screening API. The prototype endpoints (/predict, /batch-predict, /metrics, /visualizations/*) keep their paths and field names; ' +
        'integrators use /api/v1. Writes need an API key (Authorization: Bearer <key> or X-API-Key). Every error is {statusCode, code, message}.',
    )
    .setVersion('1.0.0')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'This gateway')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'An API key created with `npm run api-key -- create`',
    })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  return declareAccess(SwaggerModule.createDocument(app, config));
}

/**
 * Every operation says who may call it, as the guard decides: public ones need no key, the rest a
 * key (bearer or X-API-Key) with the level in x-heartbeat-access; an operation without @Access gets
 * the guard's default (read for GET and HEAD, screening for the rest).
 */
function declareAccess(document: OpenAPIObject): OpenAPIObject {
  const keyed = [{ bearer: [] }, { 'api-key': [] }];
  for (const operations of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(operations) as [string, Record<string, unknown>][]) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      operation[ACCESS_EXTENSION] ??= method === 'get' || method === 'head' ? 'read' : 'screening';
      operation.security = operation[ACCESS_EXTENSION] === 'public' ? [] : keyed;
    }
  }
  return document;
}

/**
 * Idle keep-alive connections live longer than a client's or a load balancer's (65 s, beyond the
 * usual 60 s), so the server is never the one closing a connection a client is just reusing (the
 * client's next request would die with EPIPE); request headers must arrive within 20 s, a whole
 * request (a batch upload) within 30 min, so a slow client cannot hold a connection for ever.
 */
export const SERVER_TIMEOUTS = {
  keepAliveTimeoutMs: 65_000,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30 * 60_000,
};

export function applyServerTimeouts(server: Server): void {
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeoutMs;
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeoutMs;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeoutMs;
}

export async function createGatewayApp(
  config: Config,
  options: GatewayAppOptions = {},
): Promise<NestExpressApplication> {
  const logger = gatewayLogger(config, options.logger);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    logger: new NestJsonLogger(logger),
    bodyParser: false,
  });
  // First, so every request is counted, including those refused by the guard or the body parser.
  app.use(app.get(GatewayMetrics).httpMiddleware());
  app.use(accessLog(logger));
  // Only JSON bodies are parsed here; multipart uploads are streamed by the upload service.
  app.useBodyParser('json', { limit: '2mb' });
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.disable('x-powered-by');
  // Security headers on every answer (helmet's defaults; their CSP still serves the /docs page).
  app.use(helmet());
  // Closed unless CORS_ORIGINS lists the browser origins that may call the API.
  if (config.gateway.corsOrigins.length > 0)
    app.enableCors({
      origin: [...config.gateway.corsOrigins],
      exposedHeaders: [
        'Location',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'Idempotent-Replayed',
        'Content-Disposition',
      ],
      maxAge: 600,
    });
  const metrics = app.get(GatewayMetrics);
  app.useGlobalFilters(
    new ApiExceptionFilter(logger, (dependency, request) => metrics.dependencyFailed(dependency, request)),
  );
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  if (config.gateway.bootstrapApiKey)
    await app.get(ApiKeysService).ensureBootstrapKey(config.gateway.bootstrapApiKey);
  return app;
}
