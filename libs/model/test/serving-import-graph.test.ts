// Serving must not load TensorFlow.js or the training code: the inference worker, the gateway and the
// CLI's classify import @heartbeat/model, and tfjs alone costs ~0.25 s of CPU and ~100 MB at start-up.
// Two checks: the static import graph of the serving entries (every `import`/`export ... from`,
// followed through relative paths and @heartbeat/* workspaces; `await import()` is the on-request
// tfjs runtime and is not followed), and a real process that screens a recording with the bundled
// version and then lists what it loaded.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PREDICTION_LABELS } from '@heartbeat/contracts';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..', '..', '..');
const SERVING_ENTRIES = ['libs/model/src/index.ts', 'libs/model/src/screening/index.ts'];

function staticSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
    )
      specifiers.push(statement.moduleSpecifier.text);
  }
  return specifiers;
}

function resolveTs(base: string): string | undefined {
  return [`${base}.ts`, join(base, 'index.ts'), base].find(
    (candidate) => existsSync(candidate) && candidate.endsWith('.ts'),
  );
}

/** A @heartbeat/* specifier to its source file through the workspace's package.json exports. */
function resolveWorkspace(specifier: string): string | undefined {
  const [scope, name, ...rest] = specifier.split('/');
  const packageDir = ['libs', 'apps']
    .map((kind) => join(ROOT, kind, name))
    .find((dir) => existsSync(join(dir, 'package.json')));
  if (!packageDir || scope !== '@heartbeat') return undefined;
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    main?: string;
    exports?: Record<string, string>;
  };
  const subpath = rest.length ? `./${rest.join('/')}` : '.';
  const target = manifest.exports?.[subpath] ?? (subpath === '.' ? manifest.main : undefined);
  return target ? join(packageDir, target) : undefined;
}

/** Every module the entries reach statically, and the external packages they name. */
function importGraph(entries: string[]): { modules: Set<string>; externals: Set<string> } {
  const modules = new Set<string>();
  const externals = new Set<string>();
  const pending = entries.map((entry) => join(ROOT, entry));
  while (pending.length) {
    const file = pending.pop() as string;
    if (modules.has(file)) continue;
    modules.add(file);
    for (const specifier of staticSpecifiers(file)) {
      const next = specifier.startsWith('.')
        ? resolveTs(resolve(dirname(file), specifier))
        : specifier.startsWith('@heartbeat/')
          ? resolveWorkspace(specifier)
          : undefined;
      if (specifier.startsWith('@heartbeat/')) externals.add(specifier);
      if (next) pending.push(next);
      else if (!specifier.startsWith('.')) externals.add(specifier);
      else throw new Error(`${file}: cannot resolve ${specifier}`);
    }
  }
  return { modules, externals };
}

describe('the serving lib', () => {
  it('reaches neither TensorFlow.js nor @heartbeat/model-training through its static imports', () => {
    const { modules, externals } = importGraph(SERVING_ENTRIES);
    expect(modules.size).toBeGreaterThan(15);
    expect(externals).toContain('onnxruntime-node');
    expect([...externals].filter((name) => name.startsWith('@tensorflow/'))).toEqual([]);
    expect([...externals].filter((name) => name.startsWith('@heartbeat/model-training'))).toEqual([]);
    expect([...modules].filter((file) => file.includes('/libs/model-training/'))).toEqual([]);
  });

  it('screens a recording with the bundled version in a process that loads no TensorFlow.js module', () => {
    const script = `
      const model = require('@heartbeat/model');
      const { readFileSync } = require('node:fs');
      (async () => {
        const screener = await model.loadRecordingScreener(model.defaultModelDir());
        const result = await screener.screen(new Uint8Array(readFileSync(${JSON.stringify(
          join(ROOT, 'libs/audio/test/fixtures/a0238.flac'),
        )})));
        await screener.dispose();
        const loaded = Object.keys(require.cache);
        process.stdout.write(JSON.stringify({
          label: result.label,
          modules: loaded.length,
          tensorflow: loaded.filter((file) => file.includes('@tensorflow')),
          training: loaded.filter((file) => file.includes('model-training')),
        }));
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const output = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const report = JSON.parse(output) as {
      label: string;
      modules: number;
      tensorflow: string[];
      training: string[];
    };
    expect(PREDICTION_LABELS).toContain(report.label);
    expect(report.modules).toBeGreaterThan(20);
    expect(report.tensorflow).toEqual([]);
    expect(report.training).toEqual([]);
  });
});
