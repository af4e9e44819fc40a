import { describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { silentLogger } from '@heartbeat/telemetry';
import { inferenceProcessRole, supervisedWorkerOptions } from './composition-root';
import { SUPERVISED_FLAG } from './supervision-protocol';

const config = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', ...env });

describe('inference worker roles', () => {
  it('supervises one worker process per usable core by default', () => {
    expect(inferenceProcessRole(config(), ['node', 'main.js'], false, 4)).toEqual({
      kind: 'supervisor',
      processes: 4,
    });
  });

  it('runs the worker in this process when one process is planned', () => {
    expect(inferenceProcessRole(config({ INFERENCE_PROCESSES: '1' }), ['node', 'main.js'], false, 4)).toEqual(
      {
        kind: 'single',
      },
    );
  });

  it('is a supervised process when forked with the flag and a channel to its supervisor', () => {
    const argv = ['node', 'main.js', SUPERVISED_FLAG, '3'];
    expect(inferenceProcessRole(config(), argv, true, 4)).toEqual({ kind: 'supervised', processNumber: 3 });
    expect(inferenceProcessRole(config(), argv, false, 4).kind).toBe('supervisor');
  });

  it('gives a supervised process its own worker id and leaves the metrics port to the supervisor', () => {
    const options = supervisedWorkerOptions(config({ INFERENCE_WORKER_ID: 'node-a' }), silentLogger(), 2);
    expect(options).toMatchObject({ serveTelemetry: false, workerId: 'node-a-2' });
    expect(supervisedWorkerOptions(config(), silentLogger(), 2).workerId).toBeUndefined();
  });
});
