// Maps any failure while screening a file to the stable code and message printed for that file.
import { isAudioError } from '@heartbeat/audio';

export function errorCodeAndMessage(error: unknown): { code: string; error: string } {
  if (isAudioError(error)) return { code: error.code, error: error.message };
  const nodeError = error as NodeJS.ErrnoException;
  if (nodeError?.code === 'ENOENT')
    return { code: 'FILE_NOT_FOUND', error: `File not found: ${nodeError.path}` };
  if (nodeError?.code === 'EACCES')
    return { code: 'FILE_NOT_READABLE', error: `Permission denied reading ${nodeError.path}` };
  if (nodeError?.code === 'EISDIR')
    return { code: 'FILE_NOT_READABLE', error: `${nodeError.path} is a folder, not a recording` };
  return {
    code: 'INTERNAL_ERROR',
    error: `Unexpected failure: ${(error as Error)?.message ?? String(error)}`,
  };
}
