// Several processes behind one metrics port (a supervisor and its worker processes): each process
// takes a snapshot of its registry, and the port serves their combination. Counters and histograms
// add up; a metric created with an `aggregator` ('max', 'average', 'first', 'omit', ...) combines that
// way instead, as prom-client's cluster support does.
import { AggregatorRegistry, type Registry } from 'prom-client';

/** A registry's metrics as plain data, safe to send between processes. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export function aggregateMetrics(snapshots: readonly MetricsSnapshot[]): Registry {
  return AggregatorRegistry.aggregate([...snapshots]);
}
