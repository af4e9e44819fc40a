// Liveness of the API process itself. Later issues add readiness (DB, Redis, S3, model) here.
import { Controller, Get } from '@nestjs/common';

export interface HealthResponse {
  status: 'ok';
  service: 'gateway';
  uptimeSeconds: number;
}

@Controller('health')
export class HealthController {
  @Get()
  check(): HealthResponse {
    return { status: 'ok', service: 'gateway', uptimeSeconds: Math.round(process.uptime()) };
  }
}
