// Makes the tfjs wasm backend able to train a CNN: adds the gradient kernels tfjs 4.22 does not
// ship for wasm and replaces the slow ones with forward convolutions XNNPACK runs well.
import * as tf from '@tensorflow/tfjs';
import { broadcastingBatchNormGradConfig } from './batch-norm-gradient';
import { runComposite } from './composite-kernel';
import { filterGradientByConvolution, inputGradientByConvolution } from './conv-gradients';

const WASM = 'wasm';

type Conv2DShape = [number, number, number, number];

interface KernelArgs<I extends string, A> {
  inputs: Record<I, tf.TensorInfo>;
  backend: tf.KernelBackend;
  attrs: A;
}

const ourKernelFuncs = new Set<tf.KernelFunc>();

/**
 * Registers, for the wasm backend: Conv2DBackpropFilter (missing), a faster Conv2DBackpropInput
 * for stride-1 convolutions (the shipped kernel still serves other strides), and a FusedBatchNorm
 * gradient that broadcasts instead of tiling (math identical on every backend). Idempotent; may be
 * called before or after the wasm backend is initialised.
 *
 * Not fixed: wasm's MaxPoolGrad routes the gradient of a pooling window whose inputs are all
 * negative to the window's first cell instead of its maximum. Put ReLU before max pooling (as
 * buildHeartSoundCnn does) and that case cannot occur.
 */
export function registerWasmTrainingKernels(): void {
  registerOnce(tf.Conv2DBackpropFilter, () => ({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: WASM,
    kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
  }));
  registerOnce(tf.Conv2DBackpropInput, (shipped) => ({
    kernelName: tf.Conv2DBackpropInput,
    backendName: WASM,
    setupFunc: shipped?.setupFunc,
    kernelFunc: conv2dBackpropInputFallingBackTo(shipped?.kernelFunc) as unknown as tf.KernelFunc,
  }));
  tf.registerGradient(broadcastingBatchNormGradConfig);
}

function registerOnce(
  kernelName: string,
  create: (shipped: tf.KernelConfig | undefined) => tf.KernelConfig,
): void {
  const current = tf.getKernel(kernelName, WASM);
  if (current !== undefined && ourKernelFuncs.has(current.kernelFunc)) return;
  const config = create(current);
  if (current !== undefined) tf.unregisterKernel(kernelName, WASM);
  ourKernelFuncs.add(config.kernelFunc);
  tf.registerKernel(config);
}

function conv2dBackpropFilter({
  inputs,
  backend,
  attrs,
}: KernelArgs<'x' | 'dy', tf.Conv2DBackpropFilterAttrs>): tf.TensorInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    inputs.x.shape as Conv2DShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return runComposite(backend, [inputs.x, inputs.dy], ([x, dy]) =>
    filterGradientByConvolution(x as tf.Tensor4D, dy as tf.Tensor4D, info),
  );
}

function conv2dBackpropInputFallingBackTo(shipped: tf.KernelFunc | undefined) {
  return (
    args: KernelArgs<'dy' | 'filter', tf.Conv2DBackpropInputAttrs>,
  ): tf.TensorInfo | tf.TensorInfo[] => {
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
    const filterShape = args.inputs.filter.shape as Conv2DShape;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode);
    const fast = dataFormat !== 'NCHW' && info.strideHeight === 1 && info.strideWidth === 1;
    if (!fast || inputGradientPaddingIsInvertible(info) === false) {
      if (shipped === undefined)
        throw new Error('Conv2DBackpropInput on wasm: this stride/padding is not supported');
      return shipped(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    return runComposite(args.backend, [args.inputs.dy, args.inputs.filter], ([dy, filter]) => {
      const dx = inputGradientByConvolution(dy as tf.Tensor4D, filter as tf.Tensor4D, info);
      if (dx === null) throw new Error('unreachable: padding was checked above');
      return dx;
    });
  };
}

function inputGradientPaddingIsInvertible(info: tf.backend_util.Conv2DInfo): boolean {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  return (
    filterHeight - 1 - padInfo.top >= 0 &&
    filterWidth - 1 - padInfo.left >= 0 &&
    inHeight + padInfo.top - outHeight >= 0 &&
    inWidth + padInfo.left - outWidth >= 0
  );
}
