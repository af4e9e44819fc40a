import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initTfBackend } from './backend';

describe('initTfBackend', () => {
  it('falls back to wasm when neither tfjs-node-gpu nor tfjs-node is installed', async () => {
    expect(await initTfBackend('auto')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('registers the wasm training kernels when it activates wasm', async () => {
    await initTfBackend('wasm');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
  });

  it('switches to the cpu backend when asked for it', async () => {
    expect(await initTfBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses an explicitly requested native backend that is not installed, naming the package', async () => {
    await expect(initTfBackend('node-gpu')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu is not installed/);
  });
});
