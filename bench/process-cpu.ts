// CPU time from /proc (Linux): what a benchmark on a shared machine can trust when wall time is noisy.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime, stime, cutime, cstime of /proc/PID/stat in milliseconds (fields 14-17; comm may hold spaces). */
export function procCpuMs(pid: number | 'self' = 'self'): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14 -> index 11.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return {
    own: ((utime + stime) * 1000) / TICKS_PER_SECOND,
    children: ((cutime + cstime) * 1000) / TICKS_PER_SECOND,
  };
}

/** The 1-minute load average and the runnable/total task count, to print beside every figure. */
export function machineLoad(): { loadAverage1m: number; loadAverage5m: number } {
  const [one, five] = loadavg();
  return { loadAverage1m: Number(one.toFixed(2)), loadAverage5m: Number(five.toFixed(2)) };
}
