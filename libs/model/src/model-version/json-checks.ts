// Plain checks of the JSON files in a model version directory (its manifest, its heart-cycle model).
// Not zod: loading zod costs ~100 ms of CPU, a fifth of `heartbeat classify one.flac` (bench/README.md,
// issue 28), and these files are read at every start of the CLI and of every inference worker.

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects what is wrong with a JSON document, one "path: problem" per issue. */
export class JsonIssues {
  readonly list: string[] = [];

  /** Records `problem` at `path` unless `ok`; returns `ok`. */
  expect(ok: boolean, path: string, problem: string): boolean {
    if (!ok) this.list.push(`${path}: ${problem}`);
    return ok;
  }

  /** The object at `path` (an empty one, after recording the issue, when it is something else). */
  object(parent: JsonObject, key: string, path = key): JsonObject {
    const value = parent[key];
    return this.expect(isJsonObject(value), path, `expected an object, got ${describe(value)}`)
      ? (value as JsonObject)
      : {};
  }

  number(
    value: unknown,
    path: string,
    rule: { integer?: boolean; positive?: boolean; min?: number; max?: number; optional?: boolean } = {},
  ): void {
    if (value === undefined && rule.optional) return;
    if (
      !this.expect(
        typeof value === 'number' && Number.isFinite(value),
        path,
        `expected a number, got ${describe(value)}`,
      )
    )
      return;
    const n = value as number;
    if (rule.integer) this.expect(Number.isInteger(n), path, `expected an integer, got ${n}`);
    if (rule.positive) this.expect(n > 0, path, `expected a number above 0, got ${n}`);
    if (rule.min !== undefined) this.expect(n >= rule.min, path, `expected at least ${rule.min}, got ${n}`);
    if (rule.max !== undefined) this.expect(n <= rule.max, path, `expected at most ${rule.max}, got ${n}`);
  }

  string(value: unknown, path: string, rule: { nonEmpty?: boolean; optional?: boolean } = {}): void {
    if (value === undefined && rule.optional) return;
    if (
      this.expect(typeof value === 'string', path, `expected a string, got ${describe(value)}`) &&
      rule.nonEmpty
    )
      this.expect((value as string).length > 0, path, 'expected a non-empty string');
  }

  oneOf(value: unknown, choices: readonly unknown[], path: string, rule: { optional?: boolean } = {}): void {
    if (value === undefined && rule.optional) return;
    this.expect(
      choices.includes(value),
      path,
      `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(value)}`,
    );
  }

  numberArray(value: unknown, path: string): void {
    if (!this.expect(Array.isArray(value), path, `expected an array of numbers, got ${describe(value)}`))
      return;
    (value as unknown[]).forEach((item, i) => this.number(item, `${path}.${i}`));
  }

  stringArray(value: unknown, path: string): void {
    if (!this.expect(Array.isArray(value), path, `expected an array of strings, got ${describe(value)}`))
      return;
    (value as unknown[]).forEach((item, i) => this.string(item, `${path}.${i}`));
  }

  /** "path: problem; path: problem" */
  toString(): string {
    return this.list.join('; ');
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
