// Root module: the validated configuration, the infrastructure module (every repository), the
// services and the controllers. The API-key guard applies to every route (@Access says what each one needs).
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Config } from '@heartbeat/config';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysService } from './auth/api-keys.service';
import { CONFIG } from './common/tokens';
import { DataProtectionController } from './data-protection/data-protection.controller';
import { RecordingDeletionService, RetentionSchedule } from './data-protection/recording-deletion.service';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { IdempotencyService } from './idempotency/idempotency.service';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { InsightsController } from './insights/insights.controller';
import { InsightsService } from './insights/insights.service';
import { ApiV1Controller } from './screening/api-v1.controller';
import { DeadLetterService } from './screening/dead-letter.service';
import { PrototypeScreeningController } from './screening/prototype.controller';
import { ScreeningService } from './screening/screening.service';
import { StaleUploadSweepSchedule } from './screening/stale-upload-sweeper';
import { SubmissionsService } from './screening/submissions.service';
import { gatewayMetricsProvider, GatewayTelemetry } from './telemetry/gateway-telemetry';
import { UploadsService } from './uploads/uploads.service';
import { TrainingModule } from './training/training.module';
import { SiteResolver } from './sites/site-resolver';
import { SitesController } from './sites/sites.controller';
import { SitesService } from './sites/sites.service';

export { CONFIG };

@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [InfrastructureModule, TrainingModule],
      controllers: [
        HealthController,
        PrototypeScreeningController,
        InsightsController,
        ApiV1Controller,
        ApiKeysController,
        SitesController,
        DataProtectionController,
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        ApiKeysService,
        HealthService,
        IdempotencyService,
        UploadsService,
        ScreeningService,
        SubmissionsService,
        SiteResolver,
        SitesService,
        DeadLetterService,
        StaleUploadSweepSchedule,
        RecordingDeletionService,
        RetentionSchedule,
        InsightsService,
        gatewayMetricsProvider,
        GatewayTelemetry,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      // The training module stores uploaded training data through the same upload path.
      exports: [CONFIG, UploadsService],
    };
  }
}
