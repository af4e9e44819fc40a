// Picks the fastest TensorFlow.js backend available in this process: native TensorFlow when its
// package is installed, otherwise wasm (SIMD, with the training kernels it lacks), otherwise cpu.
import type { TfBackendPreference } from '@heartbeat/model';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type ActiveTfBackend = 'node-gpu' | 'node' | 'wasm' | 'cpu';

const NATIVE_PACKAGES = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
} as const;

// Name under which tfjs-node and tfjs-node-gpu register their backend.
const NATIVE_BACKEND_NAME = 'tensorflow';

let active: ActiveTfBackend | undefined;

/**
 * Initialises tfjs and returns the backend now active. 'auto' tries node-gpu, node, wasm, cpu in
 * that order; naming one backend makes its absence an error instead of a fallback.
 */
export async function initTfBackend(preferred: TfBackendPreference = 'auto'): Promise<ActiveTfBackend> {
  if (active !== undefined && (preferred === 'auto' || preferred === active) && isStillActive(active))
    return active;
  const candidates: ActiveTfBackend[] =
    preferred === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [preferred];
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      await activate(candidate);
      active = candidate;
      return candidate;
    } catch (error) {
      failures.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could be initialised (${failures.join('; ')})`);
}

/** The backend initTfBackend activated, or undefined before the first call. */
export function activeTfBackend(): ActiveTfBackend | undefined {
  return active;
}

function isStillActive(backend: ActiveTfBackend): boolean {
  return tf.getBackend() === tfBackendName(backend);
}

function tfBackendName(backend: ActiveTfBackend): string {
  return backend === 'node-gpu' || backend === 'node' ? NATIVE_BACKEND_NAME : backend;
}

async function activate(backend: ActiveTfBackend): Promise<void> {
  if (backend === 'node-gpu' || backend === 'node') await importNativeBackend(NATIVE_PACKAGES[backend]);
  if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
  }
  if (!(await tf.setBackend(tfBackendName(backend))))
    throw new Error(`tf.setBackend('${tfBackendName(backend)}') failed`);
  await tf.ready();
}

async function importNativeBackend(packageName: string): Promise<void> {
  try {
    await import(packageName);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(`${packageName} is not installed`, { cause: error });
    throw new Error(`${packageName} is installed but failed to load: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
