// The name a client gave an uploaded file, made safe to store, show and send back: no directories,
// no control characters, valid Unicode, and a bounded length.

/** Longest stored file name, in characters (most file systems allow 255 bytes). */
export const MAX_FILE_NAME_LENGTH = 255;
const MAX_EXTENSION_LENGTH = 16;

/**
 * Keeps the base name (busboy already drops directories; a backslash path from Windows is cut here
 * too), replaces control characters and undecodable bytes (U+FFFD) with "_", and shortens a long
 * name in the middle of its stem so that its extension survives. `fallback` stands in for a name
 * that is empty once cleaned.
 */
export function normaliseFileName(raw: string, fallback: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u0080-\u009f\ufffd]/g, '_')
    .trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return fallback;
  const characters = [...cleaned];
  if (characters.length <= MAX_FILE_NAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= MAX_EXTENSION_LENGTH ? [...cleaned.slice(dot)] : [];
  const stem = characters.slice(0, MAX_FILE_NAME_LENGTH - extension.length);
  return [...stem, ...extension].join('');
}
