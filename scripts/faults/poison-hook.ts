// Loaded with `-r` into the fault suite's inference workers only (never into a product process):
// a recording carrying POISON_MARKER kills the model process that prepares it with SIGKILL, as a
// native crash in a decoder or the model runtime would. The fuzzers found no input that really
// crashes the decoders, so the suite makes one, to test what the queue does with such a recording.
import Module from 'node:module';
import { POISON_MARKER } from './corpus-marker';

const marker = Buffer.from(POISON_MARKER);
type Require = (this: NodeJS.Module, id: string) => unknown;
const moduleProto = Module.prototype as unknown as { require: Require };
const original = moduleProto.require;
const wrapped = new WeakMap<object, object>();

moduleProto.require = function (this: NodeJS.Module, id: string) {
  const exports = original.call(this, id);
  if (id !== '@heartbeat/model' || typeof exports !== 'object' || exports === null) return exports;
  let proxy = wrapped.get(exports);
  if (!proxy) {
    proxy = new Proxy(exports, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'prepareRecording' || typeof value !== 'function') return value;
        return (bytes: Uint8Array, ...rest: unknown[]) => {
          if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(marker))
            process.kill(process.pid, 'SIGKILL');
          return (value as (...args: unknown[]) => unknown)(bytes, ...rest);
        };
      },
    });
    wrapped.set(exports, proxy);
  }
  return proxy;
};
