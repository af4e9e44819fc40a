// npm run fuzz: fuzzes the audio decoders and the WFDB parser for FUZZ_SECONDS per target (default
// 60), seeded with the hostile corpus. Coverage-guided with @jazzer.js/core where its native
// fuzzer loads (glibc >= 2.38); elsewhere (Debian 12 has 2.36) a mutation fuzzer over the same
// seeds and targets, which says so. A crash (any exception but an AudioError) is saved under
// libs/audio/test/fixtures/fuzz-crashes/ to become a corpus file and a regression test; the run
// then fails. Writes tmp/fuzz/summary.json (targets, engine, seconds, executions, crashes).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SEEDS = path.join(ROOT, 'libs/audio/test/fixtures/hostile-corpus');
const CRASHES = path.join(ROOT, 'libs/audio/test/fixtures/fuzz-crashes');
const OUT = path.join(ROOT, 'tmp/fuzz');
const TARGETS = ['decode-audio', 'wfdb-record'] as const;
const seconds = Number(process.env.FUZZ_SECONDS ?? 60);

interface TargetOutcome {
  target: string;
  engine: 'jazzer.js (libFuzzer, coverage-guided)' | 'mutation fuzzer (no coverage feedback)';
  seconds: number;
  executions: number;
  crashes: string[];
}

function jazzerLoads(): string | undefined {
  const probe = spawnSync(process.execPath, ['-e', "require('@jazzer.js/fuzzer')"], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return probe.status === 0
    ? undefined
    : (/GLIBC_[\d.]+/.exec(probe.stderr)?.[0] ?? probe.stderr.split('\n')[0]);
}

function runJazzer(target: string): TargetOutcome {
  const corpus = path.join(OUT, target);
  mkdirSync(corpus, { recursive: true });
  const run = spawnSync(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      'node_modules/@jazzer.js/core/dist/cli.js',
      `test/fuzz/${target}.fuzz.ts`,
      corpus,
      SEEDS,
      '-i',
      'libs/audio',
      '--',
      `-max_total_time=${seconds}`,
      `-artifact_prefix=${CRASHES}/`,
    ],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const executions = Number(/Done (\d+) runs/.exec(run.stderr)?.[1] ?? 0);
  return {
    target,
    engine: 'jazzer.js (libFuzzer, coverage-guided)',
    seconds,
    executions,
    crashes: run.status === 0 ? [] : [run.stderr.slice(-2000)],
  };
}

/** Deterministic PRNG so a run can be repeated with FUZZ_SEED. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function mutate(seed: Uint8Array, other: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let bytes = seed.slice();
  for (let step = 0, steps = 1 + pick(4); step < steps; step++) {
    const choice = pick(6);
    if (choice === 0 && bytes.length > 0) bytes[pick(bytes.length)] = pick(256);
    else if (choice === 1 && bytes.length > 0) bytes = bytes.slice(0, pick(bytes.length));
    else if (choice === 2)
      bytes = Uint8Array.from([
        ...bytes.subarray(0, Math.min(bytes.length, 4096)),
        ...Array.from({ length: pick(64) }, () => pick(256)),
      ]);
    else if (choice === 3 && bytes.length > 4) {
      // An interesting integer (0, 1, -1, 2^31, 2^32-1) written over four bytes.
      const at = pick(Math.min(bytes.length - 4, 128));
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(
        at,
        [0, 1, 0xffffffff, 0x80000000, 0x7fffffff][pick(5)]!,
        random() < 0.5,
      );
    } else if (choice === 4)
      bytes = Uint8Array.from([
        ...bytes.subarray(0, pick(bytes.length + 1)),
        ...other.subarray(pick(other.length + 1)),
      ]);
    else if (bytes.length > 0) bytes[pick(bytes.length)] ^= 1 << pick(8);
  }
  return bytes;
}

async function runMutationFuzzer(target: string): Promise<TargetOutcome> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fuzz } = require(path.join(ROOT, 'test/fuzz', `${target}.fuzz.ts`)) as {
    fuzz: (data: Buffer) => unknown;
  };
  const seeds = readdirSync(SEEDS)
    .filter((name) => name !== 'manifest.json')
    .map((name) => new Uint8Array(readFileSync(path.join(SEEDS, name))));
  const random = prng(Number(process.env.FUZZ_SEED ?? 2027));
  const crashes: string[] = [];
  const deadline = Date.now() + seconds * 1000;
  let executions = 0;
  while (Date.now() < deadline) {
    const input = Buffer.from(
      mutate(
        seeds[Math.floor(random() * seeds.length)]!,
        seeds[Math.floor(random() * seeds.length)]!,
        random,
      ),
    );
    executions++;
    try {
      await fuzz(input);
    } catch (error) {
      const name = `${target}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}`;
      mkdirSync(CRASHES, { recursive: true });
      writeFileSync(path.join(CRASHES, name), input);
      crashes.push(`${name}: ${(error as Error).stack ?? String(error)}`);
      if (crashes.length >= 5) break;
    }
  }
  return { target, engine: 'mutation fuzzer (no coverage feedback)', seconds, executions, crashes };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const missing = jazzerLoads();
  if (missing)
    console.log(
      `jazzer.js cannot load its native fuzzer here (${missing}); running the mutation fuzzer instead.`,
    );
  const outcomes: TargetOutcome[] = [];
  for (const target of TARGETS) {
    const outcome = missing ? await runMutationFuzzer(target) : runJazzer(target);
    outcomes.push(outcome);
    console.log(
      `${target}: ${outcome.executions} executions in ${outcome.seconds} s (${outcome.engine}), ${outcome.crashes.length} crash(es)`,
    );
    for (const crash of outcome.crashes) console.log(crash);
  }
  writeFileSync(
    path.join(OUT, 'summary.json'),
    `${JSON.stringify({ at: new Date().toISOString(), outcomes }, null, 2)}\n`,
  );
  if (outcomes.some((outcome) => outcome.crashes.length > 0)) process.exitCode = 1;
}

void main();
