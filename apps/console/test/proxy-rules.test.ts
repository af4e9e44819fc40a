import { describe, expect, it } from 'vitest';
import { proxyAllowed, sameOrigin } from '../lib/proxy-rules';

const id = '6f1c2f4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f';

describe('the console proxy to the gateway', () => {
  it('forwards the calls the pages make', () => {
    expect(proxyAllowed('POST', 'predict')).toBe(true);
    expect(proxyAllowed('POST', 'api/v1/batches')).toBe(true);
    expect(proxyAllowed('GET', `api/v1/batches/${id}`)).toBe(true);
    expect(proxyAllowed('GET', `api/v1/batches/${id}/results`)).toBe(true);
    expect(proxyAllowed('GET', `api/v1/predictions/${id}`)).toBe(true);
    expect(proxyAllowed('POST', 'api/v1/training-data')).toBe(true);
  });

  it('refuses admin endpoints, other methods and odd paths', () => {
    expect(proxyAllowed('GET', 'api/v1/api-keys')).toBe(false);
    expect(proxyAllowed('POST', 'api/v1/models/rollback')).toBe(false);
    expect(proxyAllowed('DELETE', `api/v1/batches/${id}`)).toBe(false);
    expect(proxyAllowed('GET', `api/v1/batches/${id}/../../api-keys`)).toBe(false);
    expect(proxyAllowed('GET', 'api/v1/batches/not-an-id')).toBe(false);
  });

  it('accepts writes from its own origin only', () => {
    expect(sameOrigin('http://console.local:3000', 'console.local:3000')).toBe(true);
    expect(sameOrigin('https://evil.example', 'console.local:3000')).toBe(false);
    expect(sameOrigin(null, 'console.local:3000')).toBe(true);
    expect(sameOrigin('garbage', 'console.local:3000')).toBe(false);
  });
});
