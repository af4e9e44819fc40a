// Every service's /metrics exposition passes `promtool check metrics` (counters end in _total, units
// in base units and in the name, no reserved suffixes).
import { describe, expect, it } from 'vitest';
import { EXPOSITIONS } from './expositions';
import { promtool, promtoolAvailable } from './promtool';

describe.skipIf(!promtoolAvailable)('metric names pass promtool check metrics', () => {
  it.each(Object.entries(EXPOSITIONS))("the %s's exposition", async (_service, exposition) => {
    const text = await exposition();
    expect(text).toContain('heartbeat_');
    expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
  });
});
