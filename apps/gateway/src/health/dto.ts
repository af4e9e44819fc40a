// Response shapes of the health endpoints; Swagger reads the documentation from here.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const CHECK = { enum: ['up', 'down'], example: 'up' } as const;

export class DependencyChecksDto {
  @ApiProperty(CHECK) database!: string;
  @ApiProperty(CHECK) redis!: string;
  @ApiProperty(CHECK) storage!: string;
}

export class HealthChecksDto extends DependencyChecksDto {
  @ApiProperty(CHECK) api!: string;
  @ApiProperty({ ...CHECK, description: 'up when a live inference worker has a model loaded' })
  model!: string;
}

export class LiveWorkerDto {
  @ApiProperty({ example: 'inference-7f9c-1' }) workerId!: string;
  @ApiPropertyOptional({ example: '1.6.0', nullable: true, type: String }) modelVersion?: string | null;
  @ApiPropertyOptional({ example: 'onnxruntime-cpu', nullable: true, type: String }) backend?: string | null;
  @ApiProperty() ready!: boolean;
  @ApiProperty({ example: 3, description: 'Jobs being screened now' }) inFlight!: number;
  @ApiPropertyOptional({ example: '2026-12-07T12:00:00.000Z' }) startedAt?: string;
  @ApiProperty({ example: '2026-12-07T12:00:05.000Z' }) lastSeen!: string;
}

export class HealthReportDto {
  @ApiProperty({
    enum: ['ok', 'degraded', 'down'],
    description: 'ok: all up; degraded: no ready inference worker; down: a dependency is down',
  })
  status!: string;
  @ApiProperty({ enum: ['gateway'] }) service!: string;
  @ApiProperty({ example: 3600 }) uptimeSeconds!: number;
  @ApiProperty() modelLoaded!: boolean;
  @ApiProperty({ description: "The prototype's name for modelLoaded" }) model_loaded!: boolean;
  @ApiProperty({ type: [String], example: ['1.6.0'] }) modelVersions!: string[];
  @ApiProperty({ type: HealthChecksDto }) checks!: HealthChecksDto;
  @ApiProperty({ type: [LiveWorkerDto] }) workers!: LiveWorkerDto[];
}

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status!: string;
  @ApiProperty({ enum: ['gateway'] }) service!: string;
  @ApiProperty({ example: 3600 }) uptimeSeconds!: number;
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not-ready'] }) status!: string;
  @ApiProperty({ type: DependencyChecksDto }) checks!: DependencyChecksDto;
}

export class UptimeDto {
  @ApiProperty({ example: 3725 }) uptimeSeconds!: number;
  @ApiProperty({ example: '2026-12-07T11:00:00.000Z' }) startedAt!: string;
  @ApiProperty({ example: '1h 2m 5s' }) uptime!: string;
}
