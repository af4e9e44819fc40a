import { describe, expect, it } from 'vitest';
import { availableCores, cgroupCpuLimit, plannedProcesses, type CoreProbe } from './available-cores';

function probe(hostCores: number, files: Record<string, string>): CoreProbe {
  return { hostCores: () => hostCores, readText: (file) => files[file] };
}

describe('availableCores', () => {
  it('is the host count when no container limit is set', () => {
    expect(availableCores(probe(8, {}))).toBe(8);
    expect(availableCores(probe(8, { '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBe(8);
    expect(
      availableCores(
        probe(8, {
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
        }),
      ),
    ).toBe(8);
  });

  it('follows a cgroup v2 limit, rounded up: a 2.5-CPU pod on a 64-core node plans 3 cores', () => {
    const limited = probe(64, { '/sys/fs/cgroup/cpu.max': '250000 100000\n' });
    expect(cgroupCpuLimit(limited)).toBe(2.5);
    expect(availableCores(limited)).toBe(3);
  });

  it('follows a cgroup v1 CFS quota', () => {
    expect(
      availableCores(
        probe(16, {
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '200000\n',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
        }),
      ),
    ).toBe(2);
  });

  it('never plans fewer than one core, nor more than the host has', () => {
    expect(availableCores(probe(4, { '/sys/fs/cgroup/cpu.max': '10000 100000' }))).toBe(1);
    expect(availableCores(probe(2, { '/sys/fs/cgroup/cpu.max': '800000 100000' }))).toBe(2);
  });
});

describe('plannedProcesses', () => {
  it('runs one process per core by default, fewer when each model uses several threads', () => {
    expect(plannedProcesses({ processes: 'auto', threads: 1, executionProvider: 'auto' }, 4)).toBe(4);
    expect(plannedProcesses({ processes: 'auto', threads: 2, executionProvider: 'cpu' }, 4)).toBe(2);
    expect(plannedProcesses({ processes: 'auto', threads: 8, executionProvider: 'auto' }, 4)).toBe(1);
  });

  it('runs one process when the GPU is asked for, since the processes would share the device', () => {
    expect(plannedProcesses({ processes: 'auto', threads: 1, executionProvider: 'cuda' }, 16)).toBe(1);
  });

  it('takes a configured count as it is', () => {
    expect(plannedProcesses({ processes: 3, threads: 1, executionProvider: 'cuda' }, 16)).toBe(3);
  });
});
