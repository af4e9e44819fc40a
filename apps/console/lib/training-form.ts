// The "start a training run" form's fields turned into the gateway's retrain parameters.

export type ParsedParams = { ok: true; params: Record<string, unknown> } | { ok: false; message: string };

const INTEGER_FIELDS = [
  ['epochs', 'Epochs', 1, 500],
  ['windowsPerEpoch', 'Windows per epoch', 1, 1_000_000],
  ['batchSize', 'Batch size', 1, 1024],
  ['seed', 'Seed', -2_147_483_648, 2_147_483_647],
] as const;

export function retrainParamsFromForm(form: { get(name: string): unknown }): ParsedParams {
  const params: Record<string, unknown> = {};
  for (const [name, title, min, max] of INTEGER_FIELDS) {
    const text = String(form.get(name) ?? '').trim();
    if (text === '') continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      return { ok: false, message: `${title} must be a whole number from ${min} to ${max}.` };
    params[name] = value;
  }
  const minutes = String(form.get('maxMinutes') ?? '').trim();
  if (minutes !== '') {
    const value = Number(minutes);
    if (!(value > 0)) return { ok: false, message: 'Time limit must be a positive number of minutes.' };
    params.maxMinutes = value;
  }
  const filters = String(form.get('blockFilters') ?? '').trim();
  if (filters !== '') {
    const values = filters.split(/[\s,]+/).map(Number);
    if (values.length > 8 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 512))
      return {
        ok: false,
        message: 'Network width is up to 8 whole numbers from 1 to 512, e.g. "4, 8" for a quick test run.',
      };
    params.blockFilters = values;
  }
  return { ok: true, params };
}
