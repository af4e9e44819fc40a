// Finds labelled recordings on disk in the two layouts the product accepts: the PhysioNet 2016
// challenge layout (training-x/REFERENCE.csv + audio) and the prototype's (normal/ and abnormal/ folders).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';

export type HeartSoundLabel = 'normal' | 'abnormal';

export interface LabelledRecording {
  /** Stable id: the PhysioNet record name, or the path relative to the data root. */
  id: string;
  path: string;
  label: HeartSoundLabel;
  /** Source database or folder group (PhysioNet: training-a ... training-e). */
  subset: string;
}

export const AUDIO_FILE_EXTENSIONS = ['.wav', '.flac', '.mp3', '.ogg', '.opus', '.oga', '.hea'];

export class DatasetLayoutError extends Error {
  readonly code = 'DATASET_LAYOUT';
}

/** Reads every labelled recording below `root`, whichever supported layout it uses. */
export function discoverLabelledRecordings(root: string): LabelledRecording[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new DatasetLayoutError(
      `Data folder not found: ${root}. Pass the folder that holds the recordings.`,
    );
  }
  const referenceFiles = findReferenceFiles(root);
  if (referenceFiles.length > 0) return referenceFiles.flatMap((file) => readPhysionetSubset(root, file));
  const labelFolders = findLabelFolders(root);
  if (labelFolders.length > 0)
    return labelFolders.flatMap(({ dir, label }) => readLabelFolder(root, dir, label));
  throw new DatasetLayoutError(
    `No labelled recordings found in ${root}: expected PhysioNet subsets (training-x/REFERENCE.csv) ` +
      `or folders named normal/ and abnormal/ (for example data/train/normal).`,
  );
}

function findReferenceFiles(root: string): string[] {
  if (existsSync(join(root, 'REFERENCE.csv'))) return [join(root, 'REFERENCE.csv')];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'REFERENCE.csv')))
    .map((entry) => join(root, entry.name, 'REFERENCE.csv'))
    .sort();
}

function readPhysionetSubset(root: string, referenceFile: string): LabelledRecording[] {
  const dir = join(referenceFile, '..');
  const subset = dir === root ? basename(root) : basename(dir);
  const filesByRecord = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const extension = extname(name).toLowerCase();
    if (!AUDIO_FILE_EXTENSIONS.includes(extension)) continue;
    const record = name.slice(0, -extension.length);
    // Prefer a self-contained audio file over a WFDB header when both exist.
    if (!filesByRecord.has(record) || filesByRecord.get(record)!.endsWith('.hea'))
      filesByRecord.set(record, join(dir, name));
  }
  const recordings: LabelledRecording[] = [];
  const lines = readFileSync(referenceFile, 'utf8').split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const [record, value] = line.split(',').map((part) => part.trim());
    if (value !== '1' && value !== '-1') {
      throw new DatasetLayoutError(
        `${referenceFile}:${index + 1}: label must be 1 (abnormal) or -1 (normal), got "${value}"`,
      );
    }
    const path = filesByRecord.get(record);
    if (!path)
      throw new DatasetLayoutError(
        `${referenceFile}:${index + 1}: no audio file for record ${record} in ${dir}`,
      );
    recordings.push({ id: record, path, label: value === '1' ? 'abnormal' : 'normal', subset });
  });
  return recordings;
}

function findLabelFolders(root: string): { dir: string; label: HeartSoundLabel }[] {
  for (const base of [root, join(root, 'train'), join(root, 'data', 'train')]) {
    const normal = join(base, 'normal');
    const abnormal = join(base, 'abnormal');
    if (existsSync(normal) && existsSync(abnormal)) {
      return [
        { dir: normal, label: 'normal' },
        { dir: abnormal, label: 'abnormal' },
      ];
    }
  }
  return [];
}

function readLabelFolder(root: string, dir: string, label: HeartSoundLabel): LabelledRecording[] {
  return listAudioFiles(dir).map((path) => ({
    id: relative(root, path),
    path,
    label,
    subset: relative(root, join(dir, '..')) || '.',
  }));
}

/** Every supported audio file below `dir`, recursively, sorted for a stable order. */
export function listAudioFiles(dir: string): string[] {
  const files: string[] = [];
  const visit = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (AUDIO_FILE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  visit(dir);
  return files.sort();
}
