// The console in Chromium against the real stack (gateway, inference and training workers, PostgreSQL,
// Redis, s3rver, Prometheus): sign-in, screening one and five recordings, history filters (label,
// model version) and its chart, the ROC curve and calibration plot, a small training run, promote
// and roll back as admin with the audit entry (and not as screening), the overview while the
// gateway is stopped, and the metrics page. Screenshots of every page go to docs/screenshots/.
// Run with `npm run test:browser` (needs Debian's chromium and prometheus).
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../../test/real-stack';
import { BrowserStack, ROOT } from './browser-stack';

const SHOTS = path.join(ROOT, 'docs/screenshots');
const SAMPLES = path.join(ROOT, 'samples');
const FIVE = [
  'training-a/a0114.flac',
  'training-b/b0421.flac',
  'training-c/c0006.flac',
  'training-d/d0020.flac',
  'training-e/e00118.flac',
].map((f) => path.join(SAMPLES, f));

let stack: BrowserStack;
let admin: BrowserContext;
let page: Page;
const browserErrors: string[] = [];

async function newSignedInPage(key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser!.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const fresh = await context.newPage();
  fresh.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(`${fresh.url()}: ${message.text()}`);
  });
  fresh.on('pageerror', (error) => browserErrors.push(`${fresh.url()}: ${error.message}`));
  await fresh.goto(`${stack.consoleUrl}/sign-in`);
  await fresh.fill('#apiKey', key);
  await fresh.click('button[type=submit]');
  await fresh.waitForURL(`${stack.consoleUrl}/`);
  return { context, page: fresh };
}

async function shot(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** True when the canvas has more than one colour (something was drawn). */
async function canvasDrawn(target: Page, testId: string): Promise<boolean> {
  return target.$eval(`[data-testid=${testId}]`, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const first = data.slice(0, 4).join();
    for (let i = 4; i < data.length; i += 4 * 97) if (data.slice(i, i + 4).join() !== first) return true;
    return false;
  });
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  stack = new BrowserStack({ env: inject('integrationEnv'), withTrainingWorker: true, withPrometheus: true });
  await stack.start();
  ({ context: admin, page } = await newSignedInPage(stack.adminKey));
}, 600_000);

afterAll(async () => {
  await stack?.stop();
}, 120_000);

describe('console in the browser', () => {
  it('refuses a wrong key with a message, and signs in with a real one', async () => {
    const context = await stack.browser!.newContext();
    const visitor = await context.newPage();
    await visitor.goto(`${stack.consoleUrl}/screen`);
    expect(new URL(visitor.url()).pathname).toBe('/sign-in');
    await shot('sign-in', visitor);
    await visitor.fill('#apiKey', 'hb_not-a-real-key');
    await visitor.click('button[type=submit]');
    await visitor.getByText('does not know this key').waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'hb_session')).toBeUndefined();
    await context.close();

    const session = (await admin.cookies()).find((c) => c.name === 'hb_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.value).not.toContain(stack.adminKey);
    expect(await page.evaluate(() => document.cookie)).not.toContain('hb_session');
    expect(await page.textContent('[data-testid=role]')).toBe('admin');
  });

  it('shows the overview with every dependency up and the promoted model', async () => {
    await page.goto(`${stack.consoleUrl}/`);
    await page.waitForSelector('[data-testid=promoted-version]');
    expect(await page.textContent('[data-testid=dep-database]')).toContain('up');
    expect(await page.textContent('[data-testid=dep-model]')).toContain('up');
    expect(await page.textContent('[data-testid=overall-status]')).toContain('all up');
    await shot('overview');
  });

  it('screens one recording: label, gauge, waveform and spectrogram', async () => {
    await page.goto(`${stack.consoleUrl}/screen`);
    await page.setInputFiles('[data-testid=file-input]', FIVE[0]);
    const label = await page.waitForSelector('[data-testid=result-label]', { timeout: 120_000 });
    expect(['normal', 'abnormal', 'unsure']).toContain((await label.textContent())?.trim());
    await page.waitForSelector('[data-testid=spectrogram]', { timeout: 60_000 });
    await waitFor(
      'the canvases to be drawn',
      async () =>
        ((await canvasDrawn(page, 'waveform')) &&
          (await canvasDrawn(page, 'spectrogram')) &&
          (await canvasDrawn(page, 'window-scores'))) ||
        undefined,
      { timeoutMs: 30_000 },
    );
    await page.click('button:has-text("Play")');
    await page.waitForSelector('button:has-text("Pause")');
    await waitFor(
      'the playback cursor to move',
      async () =>
        (await page.$eval('[data-testid=cursor]', (el) => parseFloat((el as HTMLElement).style.left))) > 0 ||
        undefined,
      { timeoutMs: 10_000 },
    );
    await page.click('button:has-text("Pause")');
    await shot('screen-result');
  });

  it('screens a batch of five to 100 % and exports it as CSV', async () => {
    await page.goto(`${stack.consoleUrl}/screen`);
    await page.setInputFiles('[data-testid=file-input]', FIVE);
    await page.getByText('Finished: 5 of 5 (100 %)').waitFor({ timeout: 180_000 });
    expect(await page.locator('[data-testid=batch-table] tbody tr').count()).toBe(5);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=export-csv]'),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(6);
    for (const file of FIVE) expect(csv.some((line) => line.includes(path.basename(file)))).toBe(true);
    await page.selectOption('select', 'errors');
    expect(await page.locator('[data-testid=batch-table] tbody tr').count()).toBe(0);
    await page.selectOption('select', 'all');
    await page.click('th button:has-text("P(abnormal)")');
    await shot('screen-batch');
  });

  it('filters the history by label, and a row opens its result card', async () => {
    await page.goto(`${stack.consoleUrl}/history`);
    await page.waitForSelector('[data-testid=history-chart] svg');
    const labels = await page.locator('tbody .badge').allTextContents();
    const wanted = labels[0];
    await page.selectOption('select[name=label]', wanted);
    await page.click('button:has-text("Apply")');
    await page.waitForURL(/label=/);
    const filtered = await page.locator('tbody .badge').allTextContents();
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((text) => text === wanted)).toBe(true);
    await page.locator('tbody a').first().click();
    await page.waitForURL(/\/predictions\//);
    await page.waitForSelector('[data-testid=result-label]');
    await waitFor(
      'the recording to be drawn',
      async () => (await canvasDrawn(page, 'spectrogram')) || undefined,
      { timeoutMs: 30_000 },
    );
    await shot('result-card');
  });

  it('filters the history by model version, and charts every matching prediction from the gateway counts', async () => {
    await page.goto(`${stack.consoleUrl}/history`);
    const serving = (await page.locator('tbody tr td:nth-child(6)').first().textContent())!.trim();
    const versions = await page.$$eval('select[name=model] option', (options) =>
      options.map((option) => (option as HTMLOptionElement).value).filter(Boolean),
    );
    expect(versions).toContain(serving);
    await page.selectOption('select[name=model]', serving);
    await page.click('button:has-text("Apply")');
    await page.waitForURL(/model=/);
    await page.waitForSelector('[data-testid=history-chart] svg rect.segment');
    const models = await page.locator('tbody tr td:nth-child(6)').allTextContents();
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((text) => text.trim() === serving)).toBe(true);
    // The chart counts every matching prediction (the gateway's database), the list pages them.
    const listed = Number((await page.textContent('#list-title'))!.match(/\((\d+)\)/)![1]);
    const caption = (await page.textContent('[data-testid=chart-caption]'))!;
    expect(caption).toContain(`for all ${listed} predictions`);
    const counts = await (
      await fetch(`${stack.gatewayUrl}/api/v1/predictions/counts?modelVersion=${serving}`, {
        headers: { authorization: `Bearer ${stack.adminKey}` },
      })
    ).json();
    expect(counts.totals.total).toBe(listed);
    await shot('history');

    const unused = versions.find((version) => version !== serving)!;
    await page.selectOption('select[name=model]', unused);
    await page.click('button:has-text("Apply")');
    await page.waitForURL(new RegExp(`model=${unused.replace(/\./g, '\\.')}`));
    expect(await page.textContent('main')).toContain('Nothing to chart: no predictions match these filters.');
    expect(await page.textContent('main')).toContain('No prediction matches these filters');
  });

  it("draws the serving version's ROC curve and calibration plot from its validation scores", async () => {
    await page.goto(`${stack.consoleUrl}/models`);
    await page.waitForSelector('[data-testid=roc-chart] svg .recharts-line-curve');
    await page.waitForSelector('[data-testid=calibration-chart] svg .recharts-line-curve');
    const served = (await page.textContent('#detail-title'))!.match(/Version (\S+)/)![1];
    const metrics = await (
      await fetch(`${stack.gatewayUrl}/api/v1/models/${served}`, {
        headers: { authorization: `Bearer ${stack.adminKey}` },
      })
    ).json();
    const auc = (metrics.metrics.validation?.overall?.auc ?? metrics.metrics.auc) as number;
    // The curve is drawn from the stored per-recording scores; its AUC agrees with the training's own.
    expect(await page.textContent('[data-testid=roc-chart] figcaption')).toContain(`AUC ${auc.toFixed(3)}`);
    expect(await page.textContent('[data-testid=calibration-chart] figcaption')).toMatch(/ECE 0\.\d{3}/);
    const path = await page.getAttribute('[data-testid=roc-chart] .recharts-line-curve', 'd');
    expect(path!.split(/[LM]/).length).toBeGreaterThan(50);
  });

  it("lists the installation's sites on the training page with their status and labelled records", async () => {
    const created = await fetch(`${stack.gatewayUrl}/api/v1/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'browser-test-site', device: 'Littmann 3200' }),
    });
    expect(created.status).toBe(201);
    await page.goto(`${stack.consoleUrl}/training`);
    const sites = await page.textContent('[data-testid=sites]');
    expect(sites).toContain('browser-test-site');
    expect(sites).toContain('Littmann 3200');
    expect(sites).toMatch(/0 normal, 0 abnormal/);
    expect(sites).toContain('uncalibrated');
  });

  it('starts a small training run as admin and follows its progress to the decision', async () => {
    await page.goto(`${stack.consoleUrl}/training`);
    await page.setInputFiles('[data-testid=training-files]', FIVE.slice(0, 2));
    await page.selectOption('[data-testid=training-label]', 'abnormal');
    await page.click('button:has-text("Upload")');
    await page.waitForSelector('[data-testid=upload-outcome]');
    expect(await page.textContent('[data-testid=upload-outcome]')).toContain('Added 2');
    await page.reload();
    expect(await page.textContent('[data-testid=class-distribution]')).toMatch(/0\D+normal, \D*2\D+abnormal/);
    await page.fill('input[name=epochs]', '2');
    await page.fill('input[name=windowsPerEpoch]', '32');
    await page.fill('input[name=blockFilters]', '4, 4, 8, 8, 8');
    await page.click('[data-testid=start-training]');
    await page.waitForSelector('[data-testid=training-outcome]');
    expect(await page.textContent('[data-testid=training-outcome]')).toMatch(
      /Training run .* is (queued|running)/,
    );
    await page.waitForSelector('[data-testid=current-run]');
    await waitFor(
      'the run to finish',
      async () => {
        await page.reload();
        const status = (await page.textContent('[data-testid=run-status]'))?.trim();
        return status === 'succeeded' || status === 'failed' ? status : undefined;
      },
      { timeoutMs: 300_000, services: [stack.services.get('training-worker')] },
    );
    expect((await page.textContent('[data-testid=run-status]'))?.trim()).toBe('succeeded');
    expect(await page.textContent('[data-testid=run-progress]')).toContain('100 %');
    await page.waitForSelector('[data-testid=decision]');
    await shot('training');
  });

  it('promotes the new version and rolls back as admin, with confirmation', async () => {
    await page.goto(`${stack.consoleUrl}/models`);
    const rows = await page.$$eval('[data-testid=model-table] tbody tr', (trs) =>
      trs.map((tr) => [tr.cells[0].textContent?.trim() ?? '', tr.cells[1].textContent?.trim() ?? '']),
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const original = rows.find(([, status]) => status === 'promoted')?.[0];
    const candidate = rows.find(([, status]) => status !== 'promoted' && status !== 'retired')?.[0];
    expect(original).toBeDefined();
    expect(candidate).toBeDefined();
    await page.click(`a:has-text("${candidate}")`);
    await page.waitForURL(/version=/);
    await page.click(`[data-testid="promote-${candidate}"]`);
    await page.fill('dialog[open] input', 'browser test promotion');
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=action-outcome]');
    expect(await page.textContent('[data-testid=action-outcome]')).toContain(`${candidate} now serves`);
    await page.reload();
    expect(await page.textContent(`[data-testid="status-${candidate}"]`)).toBe('promoted');
    const audit = await page.textContent('[data-testid=model-audit]');
    expect(audit).toContain('promoted');
    expect(audit).toContain('browser test promotion');
    expect(audit).toContain(original);
    await shot('models');

    await page.click(`[data-testid="rollback-${candidate}"]`);
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=action-outcome]');
    expect(await page.textContent('[data-testid=action-outcome]')).toContain('Rolled back');
    await page.reload();
    expect(await page.textContent(`[data-testid="status-${original}"]`)).toBe('promoted');
    expect(await page.textContent(`[data-testid="status-${candidate}"]`)).not.toBe('promoted');
  });

  it('lets an admin create an API key whose secret is shown once', async () => {
    await page.goto(`${stack.consoleUrl}/keys`);
    await page.fill('input[name=name]', 'ward-3 tablet');
    await page.click('button:has-text("Create key")');
    const secret =
      (await (await page.waitForSelector('[data-testid=new-secret]')).textContent())?.trim() ?? '';
    expect(secret).toMatch(/^hb_/);
    await shot('keys');
    const works = await fetch(`${stack.gatewayUrl}/api/v1/training-status`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(works.status).toBe(200);
  });

  it('shows a screening user no model or training actions, and the gateway refuses them too', async () => {
    const { context, page: screening } = await newSignedInPage(stack.screeningKey);
    expect(await screening.textContent('[data-testid=role]')).toBe('screening');
    await screening.goto(`${stack.consoleUrl}/models`);
    await screening.waitForSelector('[data-testid=model-detail]');
    expect(
      await screening
        .locator('button:has-text("Promote"), button:has-text("Roll back"), button:has-text("Retire")')
        .count(),
    ).toBe(0);
    expect(await screening.textContent('[data-testid=model-detail]')).toContain('need an admin key');
    await screening.goto(`${stack.consoleUrl}/training`);
    expect(await screening.locator('[data-testid=start-training]').count()).toBe(0);
    expect(await screening.locator('nav a[href="/keys"]').count()).toBe(0);
    await screening.goto(`${stack.consoleUrl}/keys`);
    expect(new URL(screening.url()).pathname).toBe('/');
    expect(await screening.textContent('main')).toContain('That page is for admins');
    const refused = await fetch(`${stack.gatewayUrl}/api/v1/models/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.screeningKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    await context.close();
  });

  it('charts non-empty series from Prometheus on the metrics page', async () => {
    await waitFor(
      'Prometheus to have scraped the gateway',
      async () => {
        const answer = (await (
          await fetch(`${stack.prometheusUrl}/api/v1/query?query=heartbeat_gateway_http_requests_total`)
        ).json()) as { data: { result: unknown[] } };
        return answer.data.result.length > 0 || undefined;
      },
      { timeoutMs: 60_000 },
    );
    await page.goto(`${stack.consoleUrl}/metrics`);
    // Attached, not visible: a constant series is a flat line with no height.
    await page.waitForSelector('[data-testid=chart-request-rate] svg .recharts-line path', {
      state: 'attached',
    });
    await page.waitForSelector('[data-testid=chart-targets] svg .recharts-line path', { state: 'attached' });
    await shot('metrics');
  });

  it('shows the gateway as down with what to do while it is stopped, and recovers', async () => {
    await stack.stopService('gateway');
    await page.goto(`${stack.consoleUrl}/`);
    expect(await page.textContent('[data-testid=overall-status]')).toContain('gateway down');
    expect(await page.textContent('.fix')).toContain('HEARTBEAT_GATEWAY_URL');
    await shot('overview-gateway-down');
    stack.startGateway();
    await stack.waitForGateway();
    // The page refreshes itself every 5 s.
    await page.waitForFunction(
      () => document.querySelector('[data-testid=overall-status]')?.textContent?.includes('all up'),
      undefined,
      { timeout: 60_000 },
    );
  });

  it('logged no errors in the browser console', () => {
    expect(browserErrors).toEqual([]);
  });
});
