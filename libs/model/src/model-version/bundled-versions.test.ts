import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModelDirs, compareSemver, defaultModelDir } from './bundled-versions';

describe('bundled models', () => {
  it('orders versions numerically, pre-releases before releases', () => {
    const versions = ['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.9'];
    expect(versions.sort(compareSemver)).toEqual(['0.9.9', '1.2.0-rc.1', '1.2.0', '1.10.0']);
  });

  it('picks the newest directory that holds a manifest', () => {
    const root = mkdtempSync(join(tmpdir(), 'models-'));
    for (const name of ['1.0.0', '1.2.0', '2.0.0']) mkdirSync(join(root, name));
    writeFileSync(join(root, '1.0.0', 'heartbeat-model.json'), '{}');
    writeFileSync(join(root, '1.2.0', 'heartbeat-model.json'), '{}');
    expect(bundledModelDirs(root)).toEqual([join(root, '1.2.0'), join(root, '1.0.0')]);
    expect(defaultModelDir(root)).toBe(join(root, '1.2.0'));
  });
});
