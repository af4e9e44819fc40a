// The model a serving process holds: the promoted version, downloaded from the registry, loaded,
// warmed up and wrapped in a dynamic batcher. A new version is loaded completely before it
// replaces the old one; jobs hold a lease on the version they started with, and the old version is
// disposed once the last of them has finished.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DynamicBatcher,
  HotSwapSlot,
  loadCycleModelOf,
  loadWindowClassifier,
  modelInputOfManifest,
  ONNX_MODEL_FILE,
  readModelManifest,
  windowShape,
  type DynamicBatcherOptions,
  type ModelInputSpec,
  type Lease,
  type ModelManifest,
  type OnnxExecutionProvider,
  type WeightedCycleModel,
  type WindowClassifier,
} from '@heartbeat/model';

export interface ServedModel {
  version: string;
  manifest: ModelManifest;
  /** How recordings become this model's input (from its manifest). */
  input: ModelInputSpec;
  /** Runtime and device, e.g. onnxruntime-cpu, onnxruntime-cuda, tfjs-wasm. */
  backend: string;
  /** Local directory the artifacts were loaded from. */
  dir: string;
  classifier: WindowClassifier;
  batcher: DynamicBatcher;
  /** The version's heart-cycle model, when it has one (its logit joins the network's in the decision). */
  cycleModel?: WeightedCycleModel;
  /** Why CUDA was not used although it was asked for, when that happened. */
  gpuFallbackReason?: string;
}

export interface ModelHostOptions {
  /** Puts a version's artifacts on local disk and returns the directory (ModelRegistry.materialise). */
  materialise: (version: string) => Promise<string>;
  loadClassifier: (dir: string) => Promise<WindowClassifier>;
  batching: Omit<DynamicBatcherOptions, 'valuesPerWindow'>;
  /** After every switch, with the model now served and the one it replaced. */
  onSwap?: (current: ServedModel, previous: ServedModel | undefined) => void;
  onDisposeError?: (error: unknown, model: ServedModel) => void;
}

export class ModelHost {
  private readonly slot: HotSwapSlot<ServedModel>;
  private loading = Promise.resolve<unknown>(undefined);

  constructor(private readonly options: ModelHostOptions) {
    this.slot = new HotSwapSlot<ServedModel>(async (model) => {
      await model.batcher.whenIdle();
      await model.classifier.dispose();
    }, options.onDisposeError);
  }

  get current(): ServedModel | undefined {
    return this.slot.current;
  }

  /** Jobs lease the served model for their whole run, so a swap cannot pull it from under them. */
  acquire(): Lease<ServedModel> | undefined {
    return this.slot.acquire();
  }

  /** Leases still held on replaced versions (jobs finishing on an old model). */
  get draining(): number {
    return this.slot.retiringLeases;
  }

  /**
   * Downloads, loads and warms up `version`, then switches to it. Loads are serialised; loading the
   * version already served does nothing. If loading fails the current model keeps serving.
   */
  load(version: string): Promise<ServedModel> {
    const next = this.loading.then(() => this.loadNow(version));
    this.loading = next.catch(() => undefined);
    return next;
  }

  /** Stops serving and disposes every model once in-flight jobs have released them. */
  close(): Promise<void> {
    return this.slot.close();
  }

  private async loadNow(version: string): Promise<ServedModel> {
    const current = this.slot.current;
    if (current?.version === version) return current;
    const dir = await this.options.materialise(version);
    const manifest = readModelManifest(dir);
    const input = modelInputOfManifest(manifest);
    const cycleModel = loadCycleModelOf(dir, manifest);
    const { values } = windowShape(input);
    const classifier = await this.options.loadClassifier(dir);
    try {
      // One call before taking traffic: proves the artifacts work (and fit the manifest's input) and pays the first-run cost now.
      await classifier.predictLogits(new Float32Array(values), 1);
    } catch (error) {
      await classifier.dispose().catch(() => undefined);
      throw error;
    }
    const served: ServedModel = {
      version: manifest.version,
      manifest,
      input,
      backend: classifier.backend,
      dir,
      classifier,
      batcher: new DynamicBatcher(classifier, { ...this.options.batching, valuesPerWindow: values }),
      cycleModel,
      gpuFallbackReason: (classifier as { cudaFallbackReason?: string }).cudaFallbackReason,
    };
    void this.slot.swap(served);
    this.options.onSwap?.(served, current);
    return served;
  }
}

export interface ClassifierLoaderOptions {
  /** 'auto' serves model.onnx when the version has one, else the tfjs artifacts. */
  runtime: 'auto' | 'onnx' | 'tfjs';
  /** onnxruntime execution provider: 'auto' takes CUDA when its provider library is installed. */
  executionProvider?: OnnxExecutionProvider;
  /** Intra-op threads per onnx session (1 per process is fastest for this network). */
  threads?: number;
}

export function createClassifierLoader(
  options: ClassifierLoaderOptions,
): (dir: string) => Promise<WindowClassifier> {
  return (dir) => {
    const runtime =
      options.runtime === 'auto'
        ? existsSync(join(dir, ONNX_MODEL_FILE))
          ? 'onnx'
          : 'tfjs'
        : options.runtime;
    return loadWindowClassifier(dir, {
      backend: runtime,
      executionProvider: options.executionProvider ?? 'auto',
      intraOpNumThreads: options.threads ?? 1,
    });
  };
}
