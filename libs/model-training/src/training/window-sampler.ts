// Chooses which recordings the training windows come from. Labels are balanced 50/50, and within a
// label each (subset, label) group contributes in proportion to the square root of its size, so the
// largest database (training-e, mostly normal) cannot teach the model "this device means normal".
import type { LabelledRecording, Random } from '@heartbeat/model';

export class BalancedRecordingSampler {
  private readonly pools: Record<
    'normal' | 'abnormal',
    { records: LabelledRecording[]; cumulative: number[] }
  >;

  constructor(records: LabelledRecording[]) {
    const cellSizes = new Map<string, number>();
    for (const r of records)
      cellSizes.set(`${r.subset}/${r.label}`, (cellSizes.get(`${r.subset}/${r.label}`) ?? 0) + 1);
    const pool = (label: 'normal' | 'abnormal') => {
      const members = records.filter((r) => r.label === label);
      if (members.length === 0)
        throw new RangeError(`training needs recordings of both labels; none is ${label}`);
      const cumulative: number[] = [];
      let total = 0;
      for (const r of members) {
        total += 1 / Math.sqrt(cellSizes.get(`${r.subset}/${r.label}`)!);
        cumulative.push(total);
      }
      return { records: members, cumulative: cumulative.map((c) => c / total) };
    };
    this.pools = { normal: pool('normal'), abnormal: pool('abnormal') };
  }

  /** Any normal recording, every one equally likely (every database in proportion to its size). */
  anyNormal(random: Random): LabelledRecording {
    const { records } = this.pools.normal;
    return records[Math.floor(random() * records.length)];
  }

  next(random: Random): LabelledRecording {
    const pool = random() < 0.5 ? this.pools.normal : this.pools.abnormal;
    const u = random();
    let low = 0;
    let high = pool.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (pool.cumulative[middle] < u) low = middle + 1;
      else high = middle;
    }
    return pool.records[low];
  }
}
