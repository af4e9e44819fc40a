// What our embedded WebAssembly modules (the DSP kernels, the FLAC decoder) share: compiling one from
// its committed base64, and laying out and growing its memory.

/** The module, or null where it cannot compile (no WebAssembly SIMD): the caller's JavaScript path runs. */
export function compileEmbeddedWasm(base64: string): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The next 16-byte boundary at or after `address` (SIMD loads and float64 arrays want it). */
export function alignTo16(address: number): number {
  return Math.ceil(address / 16) * 16;
}

/** Grows `memory` (in 64-KiB pages) until it holds at least `bytes`. */
export function growMemoryTo(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65_536));
}
