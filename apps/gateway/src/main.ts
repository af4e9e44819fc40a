// Gateway entry point: validate configuration, then serve the REST API on PORT.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@heartbeat/config';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(AppModule.register(config), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(config.gateway.port, '0.0.0.0');
  console.log(`HeartBeat gateway listening on http://127.0.0.1:${config.gateway.port} (GET /health)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
