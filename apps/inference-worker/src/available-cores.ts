// How many CPU cores this process may really use: the host's count, lowered by a container's CPU
// limit when one is set (Kubernetes `resources.limits.cpu`, `docker run --cpus`). Node's
// availableParallelism() sees only the host, so on a 64-core node a 2-CPU pod would otherwise start
// 64 model processes that fight over two cores' worth of time.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface CoreProbe {
  /** The host's logical CPUs this process may run on (affinity included). */
  hostCores(): number;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readText(file: string): string | undefined;
}

const SYSTEM_PROBE: CoreProbe = {
  hostCores: () => availableParallelism(),
  readText(file) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** The CPU quota in cores (fractional), from cgroup v2 `cpu.max` or cgroup v1 CFS files; undefined without a limit. */
export function cgroupCpuLimit(probe: CoreProbe = SYSTEM_PROBE): number | undefined {
  const v2 = probe.readText('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2.length === 2) return v2[0] === 'max' ? undefined : quotaInCores(Number(v2[0]), Number(v2[1]));
  const quota = probe.readText('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const period = probe.readText('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  if (quota === undefined || period === undefined) return undefined;
  return quotaInCores(Number(quota.trim()), Number(period.trim()));
}

function quotaInCores(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

/** Whole cores to plan processes for: the host's count, or the container limit rounded up, at least 1. */
export function availableCores(probe: CoreProbe = SYSTEM_PROBE): number {
  const host = Math.max(1, probe.hostCores());
  const limit = cgroupCpuLimit(probe);
  return limit === undefined ? host : Math.max(1, Math.min(host, Math.ceil(limit)));
}

/**
 * Worker processes to run: the configured number; else one per core (each model runs on `threads`
 * threads), or one when the GPU is asked for explicitly (processes would share one device).
 */
export function plannedProcesses(
  settings: { processes: number | 'auto'; threads: number; executionProvider: 'auto' | 'cuda' | 'cpu' },
  cores = availableCores(),
): number {
  if (settings.processes !== 'auto') return settings.processes;
  if (settings.executionProvider === 'cuda') return 1;
  return Math.max(1, Math.floor(cores / settings.threads));
}
