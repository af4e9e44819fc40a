// Each error code has one status and one meaning: every ApiError the gateway builds uses its code's
// status from the catalogue, and the README's table is the catalogue's.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, errorCatalogueMarkdown, isErrorCode } from './error-catalogue';

const SOURCE = path.resolve(__dirname, '..');
const README = path.resolve(__dirname, '../../../../README.md');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') && !file.endsWith('.test.ts') ? [file] : [];
  });
}

describe('the error catalogue', () => {
  const constructions = sourceFiles(SOURCE).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const literal = [...text.matchAll(/new ApiError\(\s*(\d{3}),\s*'([A-Z0-9_]+)'/g)].map((m) => ({
      file,
      status: Number(m[1]),
      code: m[2]!,
    }));
    const notFound = [...text.matchAll(/notFound\(\s*'([A-Z0-9_]+)'/g)].map((m) => ({
      file,
      status: 404,
      code: m[1]!,
    }));
    return [...literal, ...notFound];
  });

  it('finds the gateway’s error constructions to check', () => {
    expect(constructions.length).toBeGreaterThan(40);
  });

  it('gives every code the gateway constructs its catalogue status', () => {
    const wrong = constructions
      .filter(({ code, status }) => !isErrorCode(code) || ERROR_CATALOGUE[code].status !== status)
      .map(
        ({ file, code, status }) =>
          `${path.relative(SOURCE, file)}: ${code} built with ${status}, catalogue says ${isErrorCode(code) ? ERROR_CATALOGUE[code].status : 'nothing'}`,
      );
    expect(wrong).toEqual([]);
  });

  it('is listed in the README, as the catalogue says', () => {
    const readme = readFileSync(README, 'utf8');
    const block = /<!-- error-catalogue:start -->\n([\s\S]*?)\n<!-- error-catalogue:end -->/.exec(
      readme,
    )?.[1];
    expect(
      block,
      'README.md needs the block between <!-- error-catalogue:start --> and <!-- error-catalogue:end --> (npm run docs:errors writes it)',
    ).toBe(errorCatalogueMarkdown());
  });
});
