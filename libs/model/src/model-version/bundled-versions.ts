// Finds the model versions shipped in the repository's models/ folder.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MANIFEST_FILE } from './model-manifest';

export const BUNDLED_MODELS_DIR = resolve(__dirname, '..', '..', '..', '..', 'models');

/** Compares "1.2.3" style versions numerically; pre-release suffixes sort before the release. */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('-', 2);
    return { parts: core.split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++)
    if ((x.parts[i] ?? 0) !== (y.parts[i] ?? 0)) return (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre.localeCompare(y.pre);
}

/** Directories of shipped model versions, newest first. */
export function bundledModelDirs(root = BUNDLED_MODELS_DIR): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, MANIFEST_FILE)))
    .map((entry) => entry.name)
    .sort((a, b) => compareSemver(b, a))
    .map((name) => join(root, name));
}

/** The newest shipped model version: the CLI's default. */
export function defaultModelDir(root = BUNDLED_MODELS_DIR): string {
  return bundledModelDirs(root)[0] ?? join(root, 'missing');
}
