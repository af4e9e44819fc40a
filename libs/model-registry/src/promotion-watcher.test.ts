import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '@heartbeat/db';
import { MODEL_PROMOTED_CHANNEL } from '@heartbeat/queue';
import { PromotionWatcher, type PromotionSubscriber } from './promotion-watcher';

class FakeSubscriber extends EventEmitter implements PromotionSubscriber {
  channels = new Set<string>();
  async subscribe(channel: string) {
    this.channels.add(channel);
  }
  async unsubscribe(channel: string) {
    this.channels.delete(channel);
  }
  announce(message = '{}') {
    this.emit('message', MODEL_PROMOTED_CHANNEL, message);
  }
}

const row = (version: string) => ({ version, status: 'promoted' }) as ModelVersion;
const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(options: { pollIntervalMs?: number; subscriber?: FakeSubscriber } = {}) {
  const state = { promoted: '1.0.0', served: '1.0.0', lookups: 0 };
  const loaded: string[] = [];
  const errors: unknown[] = [];
  const watcher = new PromotionWatcher({
    findPromoted: async () => {
      state.lookups += 1;
      return row(state.promoted);
    },
    currentVersion: () => state.served,
    onPromoted: async (version) => {
      loaded.push(version);
      state.served = version;
    },
    subscriber: options.subscriber,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    onError: (error) => errors.push(error),
  });
  return { state, loaded, errors, watcher };
}

describe('PromotionWatcher', () => {
  it('switches as soon as a promotion is announced', async () => {
    const subscriber = new FakeSubscriber();
    const { state, loaded, watcher } = setup({ subscriber });
    await watcher.start();
    expect(subscriber.channels.has(MODEL_PROMOTED_CHANNEL)).toBe(true);
    state.promoted = '1.1.0';
    subscriber.announce();
    await tick();
    expect(loaded).toEqual(['1.1.0']);
    await watcher.stop();
    expect(subscriber.channels.size).toBe(0);
  });

  it('finds a promotion by polling the database when no announcement arrives', async () => {
    const { state, loaded, watcher } = setup({ pollIntervalMs: 20 });
    await watcher.start();
    state.promoted = '1.2.0';
    await tick(60);
    expect(loaded).toEqual(['1.2.0']);
    await watcher.stop();
  });

  it('trusts the database over the announcement, so a stray message loads nothing', async () => {
    const subscriber = new FakeSubscriber();
    const { loaded, state, watcher } = setup({ subscriber });
    await watcher.start();
    subscriber.announce(JSON.stringify({ version: '6.6.6' }));
    await tick();
    expect(loaded).toEqual([]);
    expect(state.lookups).toBe(1);
    await watcher.stop();
  });

  it('reports a failed load and tries again at the next check', async () => {
    let failures = 1;
    const errors: unknown[] = [];
    let served = '1.0.0';
    const watcher = new PromotionWatcher({
      findPromoted: async () => row('2.0.0'),
      currentVersion: () => served,
      onPromoted: async (version) => {
        if (failures-- > 0) throw new Error('artifacts missing');
        served = version;
      },
      pollIntervalMs: 60_000,
      onError: (error) => errors.push(error),
    });
    await watcher.check();
    expect(served).toBe('1.0.0');
    expect((errors[0] as Error).message).toBe('artifacts missing');
    await watcher.check();
    expect(served).toBe('2.0.0');
  });

  it('never runs two checks at once; a check asked for meanwhile runs once afterwards', async () => {
    let active = 0;
    let maxActive = 0;
    let lookups = 0;
    const watcher = new PromotionWatcher({
      findPromoted: async () => {
        lookups += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        await tick(10);
        active -= 1;
        return row('1.0.0');
      },
      currentVersion: () => '1.0.0',
      onPromoted: async () => undefined,
      pollIntervalMs: 60_000,
    });
    await Promise.all([watcher.check(), watcher.check(), watcher.check()]);
    expect(maxActive).toBe(1);
    expect(lookups).toBe(2);
  });
});
