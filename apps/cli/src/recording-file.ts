// Reads one recording the CLI was given. A PhysioNet WFDB record is its header (.hea) plus the signal
// file the header names beside it; it is screened as the WAV of its heart-sound signal.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AudioError, wfdbRecordAsWav, wfdbSignalFileName } from '@heartbeat/audio';

export async function readRecordingFile(path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(path));
  if (extname(path).toLowerCase() !== '.hea') return bytes;
  const headerText = new TextDecoder().decode(bytes);
  const signalPath = join(dirname(path), basename(wfdbSignalFileName(headerText)));
  let signal: Uint8Array;
  try {
    signal = new Uint8Array(await readFile(signalPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new AudioError(
      'UNSUPPORTED_FORMAT',
      `The WFDB header ${basename(path)} names the signal file ${basename(signalPath)}, which is not beside it; put the .dat file next to the .hea.`,
    );
  }
  return wfdbRecordAsWav(headerText, signal);
}

/**
 * The inputs with each WFDB signal file (.dat) folded into its record: a .dat whose header
 * (<name>.hea) sits beside it stands for that record (listed once), a lone .dat stays as it is and
 * is reported like any file that cannot be screened.
 */
export function pairWfdbFiles(files: readonly string[], headerExists: (path: string) => boolean): string[] {
  const seen = new Set<string>();
  const paired: string[] = [];
  for (const file of files) {
    const header = extname(file).toLowerCase() === '.dat' ? file.slice(0, -4) + '.hea' : undefined;
    const entry = header && headerExists(header) ? header : file;
    if (seen.has(entry)) continue;
    seen.add(entry);
    paired.push(entry);
  }
  return paired;
}
