// Lets a backend kernel be written with ordinary tfjs ops instead of backend internals.
import * as tf from '@tensorflow/tfjs';

/**
 * Runs `body` on tensors wrapping the kernel's inputs and returns its result as a TensorInfo the
 * engine can adopt. Each wrapper holds its own reference to the input data, so disposing it never
 * frees the caller's tensor; the result's data gets one extra reference that the engine's output
 * tensor takes over once the wrapper is disposed.
 */
export function runComposite(
  backend: tf.KernelBackend,
  inputs: readonly tf.TensorInfo[],
  body: (tensors: tf.Tensor[]) => tf.Tensor,
): tf.TensorInfo {
  const engine = tf.engine();
  const result = tf.tidy(() => {
    const tensors = inputs.map((info) => {
      backend.incRef(info.dataId);
      return engine.makeTensorFromTensorInfo(info, backend);
    });
    return body(tensors);
  });
  backend.incRef(result.dataId);
  const info: tf.TensorInfo = { dataId: result.dataId, shape: result.shape, dtype: result.dtype };
  result.dispose();
  return info;
}
