// Screens recordings through a running gateway (POST /predict) and checks each answer equals the
// CLI's (`heartbeat classify`) for the same file: same label, probability and quality to the CLI's
// four decimals. Used by scripts/deploy/smoke.sh against the containerised stack and the podman pods.
//   node -r @swc-node/register scripts/deploy/screen-and-compare.ts --gateway http://127.0.0.1:18000 \
//     --key hb_... [--limit N] samples/
// Prints one JSON line per recording and a summary line; exits 1 on any difference.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

type Answer = { label: string; probability: number; quality: number };

const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');
const AUDIO = /\.(wav|flac|mp3|ogg|opus)$/i;

function recordingsUnder(target: string): string[] {
  if (statSync(target).isFile()) return [target];
  return readdirSync(target, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? recordingsUnder(path.join(target, entry.name))
        : AUDIO.test(entry.name)
          ? [path.join(target, entry.name)]
          : [],
    )
    .sort();
}

function cliAnswers(files: readonly string[]): Map<string, Answer> {
  const output = execFileSync(
    process.execPath,
    [path.join(REPOSITORY_ROOT, 'bin', 'heartbeat.js'), 'classify', ...files, '--format', 'jsonl'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const answers = new Map<string, Answer>();
  for (const line of output.split('\n').filter((l) => l.trim().startsWith('{'))) {
    const row = JSON.parse(line) as Answer & { file: string; error?: string };
    if (row.error) throw new Error(`the CLI could not screen ${row.file}: ${row.error}`);
    answers.set(path.resolve(row.file), {
      label: row.label,
      probability: row.probability,
      quality: row.quality,
    });
  }
  return answers;
}

async function gatewayAnswer(gateway: string, key: string, file: string, timeoutMs: number): Promise<Answer> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), path.basename(file));
  const headers = { Authorization: `Bearer ${key}` };
  const response = await fetch(`${gateway}/predict`, { method: 'POST', body: form, headers });
  let body = (await response.json()) as Answer & { id?: string; status?: string; message?: string };
  if (response.status === 202 && body.id) {
    const deadline = Date.now() + timeoutMs;
    while (body.status !== 'succeeded' && body.status !== 'failed') {
      if (Date.now() > deadline)
        throw new Error(`${file}: no result within ${timeoutMs} ms (prediction ${body.id})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      body = (await (
        await fetch(`${gateway}/api/v1/predictions/${body.id}`, { headers })
      ).json()) as typeof body;
    }
  } else if (!response.ok) {
    throw new Error(`${file}: POST /predict answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return { label: body.label, probability: body.probability, quality: body.quality };
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      gateway: { type: 'string' },
      key: { type: 'string' },
      limit: { type: 'string' },
      timeout: { type: 'string', default: '120000' },
    },
    allowPositionals: true,
  });
  if (!values.gateway || !values.key || positionals.length === 0) {
    throw new Error(
      'usage: screen-and-compare.ts --gateway URL --key API_KEY [--limit N] FILES_OR_FOLDERS...',
    );
  }
  const files = positionals
    .flatMap((target) => recordingsUnder(path.resolve(target)))
    .slice(0, values.limit ? Number(values.limit) : undefined);
  if (files.length === 0) throw new Error(`no recordings under ${positionals.join(', ')}`);
  const expected = cliAnswers(files);
  let differences = 0;
  for (const file of files) {
    const cli = expected.get(file);
    const service = await gatewayAnswer(values.gateway, values.key, file, Number(values.timeout));
    const same =
      cli !== undefined &&
      service.label === cli.label &&
      round4(service.probability) === cli.probability &&
      Math.abs(service.quality - cli.quality) <= 0.0005;
    if (!same) differences += 1;
    console.log(JSON.stringify({ file: path.relative(REPOSITORY_ROOT, file), same, cli, service }));
  }
  console.log(JSON.stringify({ recordings: files.length, same: files.length - differences, differences }));
  if (differences > 0) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
