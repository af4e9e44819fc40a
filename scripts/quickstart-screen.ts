// Quickstart step: screens the bundled sample recordings through the running gateway's batch API
// with a progress bar, then prints the results next to the reference labels.
//   node -r @swc-node/register scripts/quickstart-screen.ts <gateway-url> <api-key> [samples-dir]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';

interface Prediction {
  fileName: string | null;
  status: string;
  label: string | null;
  probability: number | null;
  quality: number | null;
  error: { code: string; message: string } | null;
}

function findSamples(directory: string): { file: string; reference?: string }[] {
  const found: { file: string; reference?: string }[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(directory, entry.name);
    const references = new Map<string, string>();
    const csv = path.join(folder, 'REFERENCE.csv');
    if (existsSync(csv))
      for (const line of readFileSync(csv, 'utf8').split(/\r?\n/)) {
        const [record, label] = line.split(',');
        if (record && label) references.set(record.trim(), label.trim() === '1' ? 'abnormal' : 'normal');
      }
    for (const name of readdirSync(folder).sort())
      if (/\.(wav|flac|mp3|ogg|opus)$/i.test(name))
        found.push({
          file: path.join(folder, name),
          reference: references.get(name.replace(/\.[^.]+$/, '')),
        });
  }
  return found;
}

async function main(): Promise<void> {
  const [base, apiKey, samplesDir = path.resolve(__dirname, '../samples')] = process.argv.slice(2);
  if (!base || !apiKey) throw new Error('usage: quickstart-screen.ts <gateway-url> <api-key> [samples-dir]');
  const headers = { Authorization: `Bearer ${apiKey}` };
  const samples = findSamples(samplesDir);
  if (samples.length === 0) throw new Error(`No recordings found under ${samplesDir}`);

  const body = new FormData();
  for (const { file } of samples)
    body.append('files', new Blob([new Uint8Array(readFileSync(file))]), path.basename(file));
  const created = await fetch(`${base}/api/v1/batches`, {
    method: 'POST',
    headers: { ...headers, 'Idempotency-Key': `quickstart-${Date.now()}` },
    body,
  });
  const batch = (await created.json()) as {
    batchId: string;
    total: number;
    statusUrl: string;
    resultsUrl: string;
    message?: string;
  };
  if (created.status !== 202)
    throw new Error(`POST /api/v1/batches answered ${created.status}: ${JSON.stringify(batch)}`);
  console.log(`Batch ${batch.batchId}: ${batch.total} recordings queued`);

  const bar = new SingleBar({
    format: 'screening [{bar}] {value}/{total} recordings | {failed} failed',
    hideCursor: true,
  });
  bar.start(batch.total, 0, { failed: 0 });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const status = (await (await fetch(`${base}${batch.statusUrl}`, { headers })).json()) as {
      done: number;
      failed: number;
      status: string;
    };
    bar.update(status.done, { failed: status.failed });
    if (status.status === 'completed' || status.status === 'failed') break;
    if (Date.now() > deadline) {
      bar.stop();
      throw new Error(
        'The batch did not finish within 10 minutes; check .local-stack/logs/inference-worker.log',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  bar.stop();

  const results = (await (await fetch(`${base}${batch.resultsUrl}?limit=1000`, { headers })).json()) as {
    items: Prediction[];
  };
  const reference = new Map(samples.map((s) => [path.basename(s.file), s.reference]));
  const rows = results.items
    .map((p) => ({
      file: p.fileName ?? '?',
      label: p.label ?? (p.error ? `error ${p.error.code}` : p.status),
      probability: p.probability === null ? '' : p.probability.toFixed(3),
      quality: p.quality === null ? '' : p.quality.toFixed(2),
      reference: reference.get(p.fileName ?? '') ?? '',
    }))
    .sort((a, b) => a.file.localeCompare(b.file));
  const columns = ['file', 'label', 'probability', 'quality', 'reference'] as const;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(`\n${line([...columns])}\n${line(widths.map((w) => '-'.repeat(w)))}`);
  for (const row of rows) console.log(line(columns.map((c) => row[c])));
  const agree = rows.filter((r) => r.reference && r.label === r.reference).length;
  console.log(
    `\n${agree} of ${rows.filter((r) => r.reference).length} agree with the PhysioNet reference label ('unsure' means the signal was too poor to judge).`,
  );
  console.log(`CSV: ${base}${batch.resultsUrl}?format=csv`);
}

main().catch((error: unknown) => {
  console.error(`quickstart: ${(error as Error).message}`);
  process.exit(1);
});
