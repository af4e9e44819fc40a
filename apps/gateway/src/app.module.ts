// Root module: receives the validated configuration so every provider can inject it.
import { Module, type DynamicModule } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { HealthController } from './health/health.controller';

export const CONFIG = Symbol('CONFIG');

@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      global: true,
      controllers: [HealthController],
      providers: [{ provide: CONFIG, useValue: config }],
      exports: [CONFIG],
    };
  }
}
