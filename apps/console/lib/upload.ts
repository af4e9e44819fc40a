// Browser uploads through the console's proxy with upload progress (fetch has none), and the
// gateway's error body turned into words.

export interface UploadAnswer {
  status: number;
  body: unknown;
}

export function describeFailure(status: number, body: unknown): string {
  const error = body as { code?: string; message?: string } | null;
  if (error?.message) return `${error.message}${error.code ? ` (${error.code})` : ''}`;
  if (status === 0) return 'The upload broke off: the console or the network went away. Try again.';
  return `The console answered ${status}.`;
}

export function upload(
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): Promise<UploadAnswer> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.setRequestHeader('accept', 'application/json');
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      resolve({ status: request.status, body });
    };
    request.onerror = () => resolve({ status: 0, body: null });
    request.send(form);
  });
}

export async function getJson<T>(
  path: string,
): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  try {
    const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
    const body = await response.json().catch(() => null);
    return response.ok
      ? { ok: true, value: body as T }
      : { ok: false, message: describeFailure(response.status, body) };
  } catch {
    return { ok: false, message: 'The console did not answer; check your connection.' };
  }
}
