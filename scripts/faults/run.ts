// npm run test:faults [-- --quick] [-- --only name,name]: the fault suite (issue 27). Starts a
// private stack (PostgreSQL, Redis with AOF, s3rver, gateway, two inference workers, training
// worker; scripts/faults/stack.ts), runs every scenario in scripts/faults/scenarios.ts on it and
// writes tmp/reliability/faults.json, which `npm run reliability:report` turns into the fault table
// of docs/reliability.md. Exits 1 when any scenario lost or duplicated a recording, or its batch did
// not reach 100 %.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  POISON_HOOK,
  PROFILES,
  ScenarioContext,
  scenarios,
  type FaultSuiteReport,
  type ScenarioResult,
} from './scenarios';
import { FaultStack, ROOT, writeJson } from './stack';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** With --only: replace those scenarios' results in the existing file, keep the others'. */
    merge: { type: 'boolean', default: false },
    out: { type: 'string' },
    recordings: { type: 'string' },
  },
});
const profile = {
  ...PROFILES[values.quick ? 'quick' : 'full'],
  ...(values.recordings ? { recordings: Number(values.recordings) } : {}),
};
const only = values.only?.split(',').map((name) => name.trim());
const out = path.resolve(
  ROOT,
  values.out ?? `tmp/reliability/faults${profile.name === 'quick' ? '-quick' : ''}.json`,
);
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  const stack = new FaultStack();
  stack.preload['inference-1'] = ['-r', POISON_HOOK];
  stack.preload['inference-2'] = ['-r', POISON_HOOK];
  const results: ScenarioResult[] = [];
  const earlier: FaultSuiteReport | undefined =
    values.merge && existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : undefined;
  // In scenario order: the re-run ones where they were, the others as they were measured.
  const merged = () =>
    earlier
      ? earlier.results.map(
          (old) =>
            results.find((result) => result.scenario === old.scenario) ?? {
              ...old,
              at: old.at ?? earlier.at,
            },
        )
      : results;
  const machine = () => ({
    cpus: os.cpus().length,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadAverage(),
  });
  const write = () => {
    const report: FaultSuiteReport = {
      at: new Date().toISOString(),
      profile: profile.name,
      recordingsPerBatch: profile.recordings,
      command: `npm run test:faults${profile.name === 'quick' ? ' -- --quick' : ''}`,
      // A merged file keeps the full run's load; the re-run's is its own field.
      machine: earlier?.machine ?? machine(),
      // A merged file keeps the full run's duration; the re-run's is its own field.
      seconds: earlier ? earlier.seconds : Math.round((Date.now() - started) / 1000),
      complete: earlier ? earlier.complete : !only,
      ...(earlier
        ? {
            rerun: only,
            rerunMachine: machine(),
            rerunSeconds: Math.round((Date.now() - started) / 1000),
            firstMeasured: earlier.at,
          }
        : {}),
      results: merged(),
    };
    writeJson(out, report);
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    void stack.stop();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    log(`Starting the private stack in ${stack.dir} (logs in ${stack.logDir})`);
    await stack.start();
    log(`Stack up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const context = new ScenarioContext(stack, profile, log);
    for (const scenario of scenarios(profile)) {
      if (only && !only.includes(scenario.name)) continue;
      await stack.heal();
      log(`${scenario.name}: ${scenario.fault}`);
      const begun = Date.now();
      let result: ScenarioResult;
      try {
        result = await scenario.run(context);
      } catch (error) {
        result = {
          scenario: scenario.name,
          fault: scenario.fault,
          submitted: profile.recordings,
          completed: 0,
          failedAsExpected: 0,
          lost: profile.recordings,
          duplicated: 0,
          recoverySeconds: null,
          batchSeconds: null,
          batchStatus: 'error',
          progress: 0,
          passed: false,
          notes: [`the scenario broke off: ${(error as Error).message}`],
        };
      }
      results.push({ ...result, at: new Date().toISOString() });
      write();
      log(
        `  ${result.passed ? 'PASS' : 'FAIL'} submitted ${result.submitted}, completed ${result.completed}${result.failedAsExpected ? `, failed as expected ${result.failedAsExpected}` : ''}, lost ${result.lost}, duplicated ${result.duplicated}, recovery ${result.recoverySeconds ?? '-'} s, batch ${result.batchSeconds ?? '-'} s (${((Date.now() - begun) / 1000).toFixed(0)} s in all)`,
      );
      for (const note of result.notes) log(`    ${note}`);
    }
  } finally {
    write();
    if (!interrupted && !values.keep) await stack.stop();
  }
  const failed = results.filter((result) => !result.passed);
  // The services' logs stay for a failed run.
  if (failed.length === 0 && !values.keep) rmSync(stack.dir, { recursive: true, force: true });
  log(
    `${results.length - failed.length}/${results.length} scenarios passed in ${((Date.now() - started) / 60_000).toFixed(1)} min; results in ${path.relative(ROOT, out)}`,
  );
  if (failed.length > 0) {
    log(`Logs of the services: ${stack.logDir}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
