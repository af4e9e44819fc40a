import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_CARD_FILE, renderModelCardOf } from './model-directory';
import { defaultModelDir } from '@heartbeat/model';

// The card is rendered from the numbers in its directory, never typed by hand: the committed card of
// the CLI's default version must be what those files give today. When this fails, re-render it with
//   npm exec -- node -r @swc-node/register research/research-comparison.ts --render-only <modelDir>
describe('model card freshness', () => {
  it("the CLI default version's MODEL_CARD.md is what its directory's files render", () => {
    const dir = defaultModelDir();
    expect(readFileSync(join(dir, MODEL_CARD_FILE), 'utf8')).toBe(renderModelCardOf(dir));
  });
});
