// Gateway entry point: validate configuration, then serve the REST API on PORT.
import 'reflect-metadata';
import { ConfigError, loadConfig } from '@heartbeat/config';
import { createGatewayApp } from './gateway-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createGatewayApp(config);
  await app.listen(config.gateway.port, '0.0.0.0');
  console.log(`HeartBeat gateway listening on http://127.0.0.1:${config.gateway.port} (API docs at /docs)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
