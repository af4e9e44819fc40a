import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetLayoutError, discoverLabelledRecordings, listAudioFiles } from './labelled-recordings';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dataset-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('labelled recordings', () => {
  it('reads the PhysioNet layout with its labels and subsets', () => {
    const root = tree({
      'training-a/REFERENCE.csv': 'a0001,1\na0002,-1\n',
      'training-a/a0001.flac': 'x',
      'training-a/a0002.wav': 'x',
      'training-b/REFERENCE.csv': 'b0001,-1\r\n',
      'training-b/b0001.hea': 'x',
      'training-b/b0001.dat': 'x',
    });
    const found = discoverLabelledRecordings(root);
    expect(found.map((r) => [r.id, r.label, r.subset])).toEqual([
      ['a0001', 'abnormal', 'training-a'],
      ['a0002', 'normal', 'training-a'],
      ['b0001', 'normal', 'training-b'],
    ]);
    expect(found[2].path.endsWith('b0001.hea')).toBe(true);
  });

  it("reads the prototype's data/train/normal and abnormal folders", () => {
    const root = tree({
      'data/train/normal/n1.wav': 'x',
      'data/train/abnormal/deep/a1.mp3': 'x',
      'data/train/abnormal/notes.txt': 'x',
    });
    const found = discoverLabelledRecordings(root);
    expect(found.map((r) => [r.label, r.path.split('/').pop()])).toEqual([
      ['normal', 'n1.wav'],
      ['abnormal', 'a1.mp3'],
    ]);
  });

  it('names the line of a REFERENCE.csv label it cannot read', () => {
    const root = tree({ 'REFERENCE.csv': 'a1,2\n', 'a1.wav': 'x' });
    expect(() => discoverLabelledRecordings(root)).toThrow(
      /REFERENCE.csv:1: label must be 1 \(abnormal\) or -1 \(normal\), got "2"/,
    );
  });

  it('says which layouts it expects when it finds none', () => {
    const root = tree({ 'x/y.wav': 'x' });
    expect(() => discoverLabelledRecordings(root)).toThrow(DatasetLayoutError);
    expect(() => discoverLabelledRecordings(root)).toThrow(/normal\/ and abnormal\//);
  });

  it('lists audio files recursively and skips everything else', () => {
    const root = tree({ 'a.wav': 'x', 'sub/b.FLAC': 'x', 'sub/c.txt': 'x', 'sub/d.dat': 'x' });
    expect(listAudioFiles(root).map((p) => p.slice(root.length + 1))).toEqual(['a.wav', 'sub/b.FLAC']);
  });
});
