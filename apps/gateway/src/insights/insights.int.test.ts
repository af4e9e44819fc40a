// The console's read views on the real PostgreSQL: prediction counts over time (every matching
// prediction, counted in the database), the history's model-version filter, and a model version's
// validation curves from the scores the registry stored.
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  connectDatabase,
  modelVersions,
  ModelVersionsRepository,
  predictions,
  recordings,
  type DatabaseConnection,
} from '@heartbeat/db';
import { validationCurves } from '@heartbeat/model-registry';
import { ApiKeysService } from '../auth/api-keys.service';
import { createGatewayApp } from '../gateway-app';

// Versions no other test uses, so counts filtered by them see only this file's rows.
const SCORED = '9.7.1';
const UNSCORED = '9.7.2';
const DAY = 86_400_000;
const START = Date.parse('2021-03-01T00:00:00Z');

let connection: DatabaseConnection;
let app: NestExpressApplication;
let base: string;
let screening: string;
const recordingIds: string[] = [];

const get = async (path: string) => {
  const response = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${screening}` } });
  return { status: response.status, body: await response.json() };
};

/** Predictions of `version`: per day offset, the labels (null = failed) made that day at 10:00 and 22:00. */
async function seed(version: string, days: Record<number, (string | null)[]>): Promise<void> {
  for (const [offset, labels] of Object.entries(days)) {
    const made = await connection.db
      .insert(recordings)
      .values(
        labels.map((_, i) => ({
          storageKey: `recordings/insights/${version}/${offset}/${i}.wav`,
          sha256: createHash('sha256').update(`insights ${version} ${offset} ${i}`).digest('hex'),
          originalFileName: `${offset}-${i}.wav`,
          format: 'wav',
          sizeBytes: 1000,
        })),
      )
      .returning({ id: recordings.id });
    recordingIds.push(...made.map((r) => r.id));
    await connection.db.insert(predictions).values(
      made.map(({ id }, i) => {
        const label = labels[i] as 'normal' | 'abnormal' | 'unsure' | null;
        const createdAt = new Date(START + Number(offset) * DAY + (i % 2 === 0 ? 10 : 22) * 3_600_000);
        return {
          recordingId: id,
          status: label ? ('succeeded' as const) : ('failed' as const),
          modelVersion: version,
          label,
          probability: label ? 0.5 : null,
          errorCode: label ? null : 'CORRUPT_AUDIO',
          createdAt,
        };
      }),
    );
  }
}

beforeAll(async () => {
  const config = loadConfig({ ...inject('integrationEnv'), RATE_LIMIT_PER_MINUTE: '100000' });
  connection = connectDatabase(config.db.url, { poolSize: 2 });
  await seed(SCORED, { 0: ['normal', 'abnormal', 'normal'], 1: ['unsure', null], 3: ['abnormal'] });
  await seed(UNSCORED, { 0: ['normal', 'normal'] });
  const versions = new ModelVersionsRepository(connection.db);
  await connection.db.delete(modelVersions).where(inArray(modelVersions.version, [SCORED, UNSCORED]));
  const scored = await versions.create({ version: SCORED, status: 'candidate' });
  await versions.create({ version: UNSCORED, status: 'candidate' });
  await versions.saveValidationScores(scored.id, [
    { recordId: 'a1', subset: 'training-a', label: 'abnormal', score: 2, probability: 0.9 },
    { recordId: 'a2', subset: 'training-a', label: 'normal', score: 0.5, probability: 0.6 },
    { recordId: 'a3', subset: 'training-a', label: 'abnormal', score: 0, probability: 0.5 },
    { recordId: 'b1', subset: 'training-b', label: 'normal', score: -2, probability: 0.1 },
    { recordId: 'b2', subset: 'training-b', label: 'normal', score: -1, probability: 0.2 },
  ]);
  app = await createGatewayApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  screening = (await app.get(ApiKeysService).create({ role: 'screening', name: 'insights-int' })).secret;
}, 120_000);

afterAll(async () => {
  await app?.close();
  if (recordingIds.length > 0)
    await connection.db.delete(recordings).where(inArray(recordings.id, recordingIds));
  await connection?.db.delete(modelVersions).where(inArray(modelVersions.version, [SCORED, UNSCORED]));
  await connection?.close();
});

describe('GET /api/v1/predictions/counts', () => {
  it('counts every matching prediction per UTC day by result, oldest first, leaving out empty days', async () => {
    const { status, body } = await get(`/api/v1/predictions/counts?modelVersion=${SCORED}&bucket=day`);
    expect(status).toBe(200);
    expect(body).toEqual({
      bucket: 'day',
      buckets: [
        {
          start: '2021-03-01T00:00:00.000Z',
          normal: 2,
          abnormal: 1,
          unsure: 0,
          failed: 0,
          pending: 0,
          total: 3,
        },
        {
          start: '2021-03-02T00:00:00.000Z',
          normal: 0,
          abnormal: 0,
          unsure: 1,
          failed: 1,
          pending: 0,
          total: 2,
        },
        {
          start: '2021-03-04T00:00:00.000Z',
          normal: 0,
          abnormal: 1,
          unsure: 0,
          failed: 0,
          pending: 0,
          total: 1,
        },
      ],
      totals: { normal: 2, abnormal: 2, unsure: 1, failed: 1, pending: 0, total: 6 },
    });
  });

  it('picks hours for predictions spanning less than two days and days for longer spans', async () => {
    const short = await get(`/api/v1/predictions/counts?modelVersion=${UNSCORED}`);
    expect(short.body.bucket).toBe('hour');
    expect(short.body.buckets.map((b: { start: string; total: number }) => [b.start, b.total])).toEqual([
      ['2021-03-01T10:00:00.000Z', 1],
      ['2021-03-01T22:00:00.000Z', 1],
    ]);
    expect((await get(`/api/v1/predictions/counts?modelVersion=${SCORED}`)).body.bucket).toBe('day');
  });

  it('applies the label and date filters in the database', async () => {
    const { body } = await get(
      `/api/v1/predictions/counts?modelVersion=${SCORED}&label=abnormal&from=2021-03-02T00:00:00Z&bucket=week`,
    );
    // 2021-03-01 is a Monday: the week holds both abnormal predictions; the one of March 1 is before `from`.
    expect(body.totals).toMatchObject({ abnormal: 1, total: 1 });
    expect(body.buckets).toEqual([
      expect.objectContaining({ start: '2021-03-01T00:00:00.000Z', abnormal: 1 }),
    ]);
  });

  it('refuses a bucket or a model version it does not know, saying which parameter is wrong', async () => {
    const bucket = await get('/api/v1/predictions/counts?bucket=month');
    expect(bucket.status).toBe(400);
    expect(JSON.stringify(bucket.body)).toContain('bucket');
    const version = await get('/api/v1/predictions/counts?modelVersion=latest');
    expect(version.status).toBe(400);
    expect(JSON.stringify(version.body)).toContain('modelVersion must be a model version');
  });
});

describe('GET /visualizations/prediction-history?modelVersion=', () => {
  it("lists only the version's predictions, with the total over all of them", async () => {
    const { status, body } = await get(`/visualizations/prediction-history?modelVersion=${UNSCORED}&limit=1`);
    expect(status).toBe(200);
    expect(body.total).toBe(2);
    expect(body.items).toHaveLength(1);
    expect(body.items[0].modelVersion).toBe(UNSCORED);
  });
});

describe('GET /api/v1/models/{version}/validation-curves', () => {
  it("draws the version's ROC curve, reliability diagram and per-subset AUC from its stored scores", async () => {
    const { status, body } = await get(`/api/v1/models/${SCORED}/validation-curves`);
    expect(status).toBe(200);
    // 2 abnormal x 3 normal pairs: 0.9 beats all three, 0.5 beats 0.1 and 0.2 -> AUC 5/6.
    expect(body).toMatchObject({ version: SCORED, scoresStored: true, count: 5, abnormal: 2, normal: 3 });
    expect(body.auc).toBeCloseTo(5 / 6, 12);
    expect(body.roc[0]).toEqual({ threshold: null, falsePositiveRate: 0, truePositiveRate: 0 });
    expect(body.roc.at(-1)).toMatchObject({ falsePositiveRate: 1, truePositiveRate: 1 });
    expect(body.reliability).toHaveLength(10);
    expect(body.reliability[9]).toMatchObject({ count: 1, observedRate: 1 });
    expect(body.subsets.map((s: { subset: string; count: number }) => [s.subset, s.count])).toEqual([
      ['training-a', 3],
      ['training-b', 2],
    ]);
  });

  it('narrows the curves to one subset when asked', async () => {
    const { body } = await get(`/api/v1/models/${SCORED}/validation-curves?subset=training-a`);
    expect(body).toMatchObject({ subset: 'training-a', count: 3, abnormal: 2 });
    expect(body.auc).toBe(
      validationCurves([
        { label: 'abnormal', probability: 0.9 },
        { label: 'normal', probability: 0.6 },
        { label: 'abnormal', probability: 0.5 },
      ]).auc,
    );
  });

  it('says that a version registered without validation scores has none, and 404 for an unknown version', async () => {
    const none = await get(`/api/v1/models/${UNSCORED}/validation-curves`);
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ scoresStored: false, count: 0, auc: null, ece: null });
    const unknown = await get('/api/v1/models/9.9.9/validation-curves');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('MODEL_VERSION_NOT_FOUND');
  });
});

describe('OpenAPI', () => {
  it('documents both views with their response schemas', async () => {
    const document = (await get('/docs/openapi.json')).body;
    const counts = document.paths['/api/v1/predictions/counts'].get;
    expect(counts.responses['200'].content['application/json'].schema.$ref).toContain('PredictionCountsDto');
    expect(counts.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['bucket', 'label', 'from', 'to', 'batchId', 'modelVersion']),
    );
    const curves = document.paths['/api/v1/models/{version}/validation-curves'].get;
    expect(curves.responses['200'].content['application/json'].schema.$ref).toContain('ValidationCurvesDto');
    expect(document.components.schemas.ValidationCurvesDto.required).toEqual(
      expect.arrayContaining(['auc', 'ece', 'roc', 'reliability']),
    );
  });
});
