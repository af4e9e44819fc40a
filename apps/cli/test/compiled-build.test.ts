import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';

const { compiledBuildIsCurrent } = createRequire(__filename)('../../../bin/compiled-build.js') as {
  compiledBuildIsCurrent: (root: string) => boolean;
};

const HOUR_AGO = (Date.now() - 3_600_000) / 1000;

describe('bin/heartbeat.js runs the compiled build only when it is current', () => {
  let root: string;
  const write = (file: string, text = '') => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
    utimesSync(join(root, file), HOUR_AGO, HOUR_AGO);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'heartbeat-build-'));
    write('.swcrc', '{}');
    for (const workspace of ['apps/cli', 'libs/audio']) {
      write(`${workspace}/package.json`, '{}');
      write(`${workspace}/src/index.ts`);
      write(`dist/${workspace}/package.json`, '{}');
    }
    write('apps/console/package.json', '{}'); // built by Next.js, never looked at
    write('dist/build-info.json', JSON.stringify({ sourcesReadAt: Date.now() - 60_000 }));
  });

  it('uses a build made after every source changed', () => {
    expect(compiledBuildIsCurrent(root)).toBe(true);
  });

  it('falls back to the sources when there is no build', () => {
    expect(compiledBuildIsCurrent(join(root, 'apps'))).toBe(false);
  });

  it('falls back to the sources when one was edited after the build', () => {
    writeFileSync(join(root, 'libs/audio/src/index.ts'), 'export {};');
    expect(compiledBuildIsCurrent(root)).toBe(false);
  });

  it('falls back when a workspace has no compiled counterpart', () => {
    write('libs/model/package.json', '{}');
    write('libs/model/src/index.ts');
    expect(compiledBuildIsCurrent(root)).toBe(false);
  });

  it('ignores edited tests and the console', () => {
    writeFileSync(join(root, 'libs/audio/src/index.test.ts'), '');
    writeFileSync(join(root, 'apps/console/page.tsx'), '');
    expect(compiledBuildIsCurrent(root)).toBe(true);
  });
});
