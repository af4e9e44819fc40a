// GET /health (overall, prototype-compatible), /health/live, /health/ready and /uptime.
import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access } from '../auth/access.decorator';
import { sendReply } from '../common/reply';
import { HealthReportDto, LivenessDto, ReadinessDto, UptimeDto } from './dto';
import { HealthService, type HealthReport } from './health.service';

@ApiTags('health')
@Access('public')
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('health')
  @ApiOperation({
    summary: 'API, database, Redis, storage and "model loaded" (a live inference worker is ready)',
  })
  @ApiOkResponse({
    type: HealthReportDto,
    description: 'status ok (all up), degraded (no ready worker) or down (a dependency is down)',
  })
  report(): Promise<HealthReport> {
    return this.health.report();
  }

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessDto })
  live(): { status: 'ok'; service: 'gateway'; uptimeSeconds: number } {
    return { status: 'ok', service: 'gateway', uptimeSeconds: this.health.uptimeSeconds() };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: database, Redis and storage answer' })
  @ApiOkResponse({ type: ReadinessDto, description: 'Database, Redis and storage answer' })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'A dependency is down' })
  async ready(@Res() response: Response): Promise<void> {
    const { ready, checks } = await this.health.readiness();
    sendReply(response, {
      status: ready ? 200 : 503,
      body: { status: ready ? 'ready' : 'not-ready', checks },
    });
  }

  @Get('uptime')
  @ApiOperation({ summary: 'How long the gateway has been running' })
  @ApiOkResponse({ type: UptimeDto })
  uptime(): { uptimeSeconds: number; startedAt: string; uptime: string } {
    const seconds = this.health.uptimeSeconds();
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    return {
      uptimeSeconds: seconds,
      startedAt: this.health.startedAt.toISOString(),
      uptime: `${h}h ${m}m ${seconds % 60}s`,
    };
  }
}
