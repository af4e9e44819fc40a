// Format detection from the bytes themselves (magic numbers): file names and MIME types from
// uploads are unreliable, and naming what we did find makes the rejection message useful.

import { leadingId3v2Bytes } from './audio-tags';

export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg' | 'opus' | 'wfdb';

export type DetectedFormat =
  | {
      supported: true;
      format: Exclude<AudioFormat, 'wfdb'>;
      /** Where the stream itself starts, when a tag precedes it (an ID3v2 tag before native FLAC). */
      streamOffset?: number;
    }
  | { supported: true; format: 'wfdb'; part: 'header' }
  | { supported: false; description: string };

const ascii = (bytes: Uint8Array, start: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(start, start + length));

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((value, i) => bytes[offset + i] === value);

const unsupported = (description: string): DetectedFormat => ({ supported: false, description });

// A WFDB header's first line is "<record>[/<segments>] <nsig> [<fs>...]"; anything else that is
// plain text (CSV, HTML, JSON) is named as text.
const WFDB_RECORD_LINE = /^[A-Za-z0-9_.-]+(\/\d+)?\s+\d+(\s|$)/;

export function detectFormat(bytes: Uint8Array): DetectedFormat {
  if (bytes.length === 0) return unsupported('an empty file');
  const head4 = ascii(bytes, 0, 4);

  if (head4 === 'RIFF' && bytes.length >= 12) {
    const kind = ascii(bytes, 8, 4);
    if (kind === 'WAVE') return { supported: true, format: 'wav' };
    if (kind === 'AVI ') return unsupported('an AVI video');
    if (kind === 'WEBP') return unsupported('a WebP image');
    return unsupported(`a RIFF file of type "${kind.replace(/[^\x20-\x7e]/g, '?')}"`);
  }
  if (head4 === 'RIFF') return { supported: true, format: 'wav' }; // too short: the WAV parser reports truncation
  if (head4 === 'RIFX') return unsupported('a big-endian RIFX WAV file');
  if (head4 === 'RF64' || head4 === 'BW64') return unsupported('an RF64/BW64 WAV file (larger than 4 GB)');
  if (head4 === 'fLaC') return { supported: true, format: 'flac' };
  if (head4 === 'OggS') return detectOggCodec(bytes);
  if (ascii(bytes, 0, 3) === 'ID3') return detectAfterId3v2(bytes);
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0) {
    const layer = (bytes[1] >> 1) & 0x03;
    if (layer === 0) return unsupported('an AAC (ADTS) audio stream');
    return { supported: true, format: 'mp3' };
  }
  if (head4 === 'FORM' && ['AIFF', 'AIFC'].includes(ascii(bytes, 8, 4)))
    return unsupported('an AIFF audio file');
  if (ascii(bytes, 4, 4) === 'ftyp') return unsupported('an MP4/M4A (AAC) or MOV file');
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return unsupported('a WebM/Matroska file');
  if (startsWith(bytes, [0x30, 0x26, 0xb2, 0x75])) return unsupported('a WMA/ASF file');
  if (head4 === 'caff') return unsupported('a Core Audio (CAF) file');
  if (head4 === 'wvpk') return unsupported('a WavPack file');
  if (ascii(bytes, 0, 5) === '#!AMR') return unsupported('an AMR voice recording');
  if (head4 === 'MThd') return unsupported('a MIDI file');
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return unsupported('a PNG image');
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return unsupported('a JPEG image');
  if (ascii(bytes, 0, 4) === 'GIF8') return unsupported('a GIF image');
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return unsupported('a TIFF image');
  if (ascii(bytes, 128, 4) === 'DICM') return unsupported('a DICOM file');
  if (head4 === '%PDF') return unsupported('a PDF document');
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]))
    return unsupported('a ZIP archive (or a Word/Excel document)');
  if (startsWith(bytes, [0x1f, 0x8b])) return unsupported('a gzip archive');
  if (startsWith(bytes, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return unsupported('a 7-Zip archive');
  if (ascii(bytes, 0, 4) === 'Rar!') return unsupported('a RAR archive');
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return unsupported('an ELF executable');
  if (ascii(bytes, 0, 2) === 'MZ') return unsupported('a Windows executable');
  return detectText(bytes);
}

// Taggers put ID3v2 in front of FLAC as well as MP3 (libFLAC skips it). A tag that runs past the end
// of `bytes` (a cut-off file, or only the head of an upload) leaves the guess at MP3.
function detectAfterId3v2(bytes: Uint8Array): DetectedFormat {
  const tagBytes = leadingId3v2Bytes(bytes);
  if (tagBytes > 0 && ascii(bytes, tagBytes, 4) === 'fLaC')
    return { supported: true, format: 'flac', streamOffset: tagBytes };
  return { supported: true, format: 'mp3' };
}

function detectOggCodec(bytes: Uint8Array): DetectedFormat {
  // The first page carries the codec's identification packet right after the segment table.
  if (bytes.length < 27) return { supported: true, format: 'ogg' };
  const segments = bytes[26];
  const packetStart = 27 + segments;
  if (ascii(bytes, packetStart, 8) === 'OpusHead') return { supported: true, format: 'opus' };
  if (ascii(bytes, packetStart + 1, 6) === 'vorbis') return { supported: true, format: 'ogg' };
  if (ascii(bytes, packetStart + 1, 4) === 'FLAC') return { supported: true, format: 'flac' };
  if (ascii(bytes, packetStart, 8) === 'Speex   ') return unsupported('an Ogg Speex file');
  if (ascii(bytes, packetStart + 1, 6) === 'theora') return unsupported('an Ogg Theora video');
  return { supported: true, format: 'ogg' }; // unknown or damaged: let the decoder judge it
}

function detectText(bytes: Uint8Array): DetectedFormat {
  const sample = bytes.subarray(0, 512);
  const printable = sample.every(
    (b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0xc2,
  );
  if (!printable) return unsupported('an unrecognised binary file');
  const text = new TextDecoder().decode(sample).trimStart();
  if (
    WFDB_RECORD_LINE.test(
      text.split(/\r?\n/).find((line) => line.trim() !== '' && !line.startsWith('#')) ?? '',
    )
  ) {
    return { supported: true, format: 'wfdb', part: 'header' };
  }
  const lower = text.toLowerCase();
  if (lower.startsWith('<!doctype html') || lower.startsWith('<html')) return unsupported('an HTML page');
  if (lower.startsWith('<?xml') || lower.startsWith('<svg')) return unsupported('an XML/SVG document');
  if (lower.startsWith('{') || lower.startsWith('[')) return unsupported('a JSON document');
  return unsupported('a text file');
}
