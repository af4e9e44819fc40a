import { describe, expect, it, vi } from 'vitest';
import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes what arrives in one turn, and what arrives during a write, as one group each', async () => {
    const groups: number[][] = [];
    let release: () => void = () => undefined;
    const commit = new GroupCommit<number, string>(async (items) => {
      groups.push(items);
      if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => `row ${n}`);
    });
    const first = [commit.submit(1), commit.submit(2)];
    await new Promise((resolve) => setImmediate(resolve));
    const later = [commit.submit(3), commit.submit(4), commit.submit(5)];
    release();
    expect(await Promise.all([...first, ...later])).toEqual(['row 1', 'row 2', 'row 3', 'row 4', 'row 5']);
    expect(groups).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('keeps groups within maxItems', async () => {
    const groups: number[][] = [];
    const commit = new GroupCommit<number, number>(
      async (items) => (groups.push(items), items.map((n) => n * 10)),
      { maxItems: 2 },
    );
    expect(await Promise.all([1, 2, 3].map((n) => commit.submit(n)))).toEqual([10, 20, 30]);
    expect(groups).toEqual([[1, 2], [3]]);
  });

  it('with lingerMs, lets a group wait for later items, and writes a full group at once', async () => {
    vi.useFakeTimers();
    try {
      const groups: number[][] = [];
      const commit = new GroupCommit<number, number>(async (items) => (groups.push(items), items), {
        maxItems: 3,
        lingerMs: 40,
      });
      const first = commit.submit(1);
      await vi.advanceTimersByTimeAsync(10);
      const second = commit.submit(2);
      await vi.advanceTimersByTimeAsync(20);
      expect(groups).toEqual([]); // 30 ms after the first item: still gathering
      await vi.advanceTimersByTimeAsync(10);
      expect(await Promise.all([first, second])).toEqual([1, 2]);
      expect(groups).toEqual([[1, 2]]);
      const full = Promise.all([4, 5, 6, 7].map((n) => commit.submit(n)));
      await vi.advanceTimersByTimeAsync(0);
      expect(groups.slice(1)).toEqual([[4, 5, 6]]); // full: written without waiting
      await vi.advanceTimersByTimeAsync(40);
      expect(await full).toEqual([4, 5, 6, 7]);
      expect(groups.slice(1)).toEqual([[4, 5, 6], [7]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes a failed group again item by item, so only the refused item fails', async () => {
    const commit = new GroupCommit<number, number>(async (items) => {
      if (items.includes(2)) throw new Error(`refused ${items.join(',')}`);
      return items;
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => commit.submit(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      1,
      'refused 2',
      3,
    ]);
  });
});
