// Trains a network with the model lib and writes a complete model version directory (tfjs weights,
// ONNX, manifest, metrics, card). Adds to the lib's loop what a long-running service needs: a
// checkpoint after every epoch, resuming from one, and stopping between batches when asked.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  DEFAULT_MODEL_INPUT,
  describeModelInput,
  recordingWindows,
  TFJS_MODEL_FILE,
  writeModelManifest,
  type LabelledRecording,
  type ModelInputSpec,
  type ModelManifest,
} from '@heartbeat/model';
import {
  buildHeartSoundCnn,
  cycleModelManifestFields,
  trainCycleModel,
  cosineLearningRate,
  datasetFingerprint,
  DEFAULT_MINIMUM_QUALITY,
  DEFAULT_TRAINING_PARAMS,
  finaliseModelDirectory,
  fitDecision,
  type ThresholdRule,
  initTfBackend,
  loadConditionedSignals,
  networkInputShape,
  reportFor,
  saveTfjsModel,
  scoreRecordings,
  trainWindowClassifier,
  type ConditionedRecording,
  type EpochReport,
  type TrainingParams,
  type TrainingReport,
} from '@heartbeat/model-training';
import type { RetrainParams } from '@heartbeat/queue';

/** The network's weights after an epoch, enough to carry on training after a crash. */
export interface TrainingCheckpoint {
  /** Epochs completed (1-based count). */
  epoch: number;
  epochs: number;
  history: EpochReport[];
  shapes: number[][];
  weights: Float32Array;
}

export interface TrainModelOptions {
  training: LabelledRecording[];
  validation: LabelledRecording[];
  outDir: string;
  version: string;
  params: RetrainParams;
  /** How recordings become network input (default: DEFAULT_MODEL_INPUT, which retraining uses). */
  modelInput?: ModelInputSpec;
  /** Weight of a heart-cycle model's logit in the score; absent: the candidate has none. */
  cycleModelWeight?: number;
  cacheDir?: string;
  resumeFrom?: TrainingCheckpoint;
  trainCommand: string;
  /** Fraction of the whole training (0-1) after every batch; may throw to stop the run. */
  onProgress?: (fraction: number) => void;
  onEpoch?: (report: EpochReport) => void;
  /** Called after every epoch with a snapshot of the weights (the caller stores it). */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => void;
  log?: (line: string) => void;
}

export interface TrainedModel {
  report: TrainingReport;
  resumedFromEpoch?: number;
}

export function trainingParamsOf(params: RetrainParams): TrainingParams {
  const { blockFilters: _blockFilters, ...rest } = params;
  return { ...DEFAULT_TRAINING_PARAMS, ...rest };
}

function snapshot(
  model: tf.LayersModel,
  history: EpochReport[],
  epoch: number,
  epochs: number,
): TrainingCheckpoint {
  const tensors = model.getWeights();
  const shapes = tensors.map((t) => [...t.shape]);
  const total = tensors.reduce((n, t) => n + t.size, 0);
  const weights = new Float32Array(total);
  let offset = 0;
  for (const tensor of tensors) {
    const values = tensor.dataSync();
    weights.set(values, offset);
    offset += values.length;
  }
  return { epoch, epochs, history: [...history], shapes, weights };
}

function restore(model: tf.LayersModel, checkpoint: TrainingCheckpoint): void {
  let offset = 0;
  const tensors = checkpoint.shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(checkpoint.weights.subarray(offset, offset + size), shape);
    offset += size;
    return tensor;
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

export class ModelTrainer {
  async train(options: TrainModelOptions): Promise<TrainedModel> {
    const log = options.log ?? (() => undefined);
    const started = Date.now();
    const params = trainingParamsOf(options.params);
    const modelInput = options.modelInput ?? DEFAULT_MODEL_INPUT;
    const backend = await initTfBackend('auto');
    const { loaded, failed } = await loadConditionedSignals([...options.training, ...options.validation], {
      cacheDir: options.cacheDir,
    });
    for (const failure of failed) log(`skipped ${failure.recording.id}: ${failure.error}`);
    const byPath = new Map(loaded.map((c) => [c.recording.path, c]));
    const pick = (set: LabelledRecording[]) =>
      set.map((r) => byPath.get(r.path)).filter((c): c is ConditionedRecording => c !== undefined);
    const training = pick(options.training);
    const validation = pick(options.validation);
    for (const label of ['normal', 'abnormal'])
      if (!training.some((c) => c.recording.label === label))
        throw new Error(`Cannot train: no decodable ${label} recording in the training set`);

    const resume = options.resumeFrom;
    const done = resume?.epoch ?? 0;
    const remaining = Math.max(0, params.epochs - done);
    const buildModel = () => {
      const model = buildHeartSoundCnn({
        seed: params.seed,
        blockFilters: options.params.blockFilters,
        inputShape: networkInputShape(modelInput),
      });
      if (resume) restore(model, resume);
      return model;
    };
    const history: EpochReport[] = [...(resume?.history ?? [])];
    let model: tf.LayersModel;
    let calibration;
    let threshold: number;
    let thresholdRule: ThresholdRule;
    let validationScores;
    let bestEpoch = done;
    let stoppedBecause = 'epochs';
    if (remaining === 0) {
      // The crash came after the last epoch: only the decision is left to fit.
      model = buildModel();
      validationScores = scoreRecordings(
        model,
        validation.map((c) => ({ recording: c.recording, ...recordingWindows(c.signal, modelInput) })),
      );
      ({ calibration, threshold, thresholdRule } = fitDecision(validationScores, params.thresholdRule));
    } else {
      let current: tf.LayersModel | undefined;
      const outcome = await trainWindowClassifier({
        training,
        validation,
        buildModel: () => (current = buildModel()),
        modelInput,
        params: {
          ...params,
          epochs: remaining,
          // Carry on down the cosine where the interrupted run was.
          learningRate: done > 0 ? cosineLearningRate(done + 1, params) : params.learningRate,
        },
        onBatch: (epochFraction) => {
          const completed = history.length - done;
          options.onProgress?.((done + completed + epochFraction) / params.epochs);
        },
        onEpoch: (report) => {
          const shifted = { ...report, epoch: report.epoch + done, epochs: params.epochs };
          history.push(shifted);
          options.onEpoch?.(shifted);
          if (current) options.onCheckpoint?.(snapshot(current, history, shifted.epoch, params.epochs));
        },
      });
      model = outcome.model;
      ({ calibration, threshold, thresholdRule, validationScores } = outcome);
      bestEpoch = outcome.bestEpoch + done;
      stoppedBecause = outcome.stoppedBecause;
    }

    await mkdir(options.outDir, { recursive: true });
    const cycle = options.cycleModelWeight
      ? trainCycleModel({
          training,
          validation: validationScores,
          signalOf: (recording) => byPath.get(recording.path)?.signal,
          weight: options.cycleModelWeight,
          thresholdRule: params.thresholdRule,
          outDir: options.outDir,
        })
      : undefined;
    if (cycle) {
      ({ calibration, threshold, thresholdRule } = cycle);
      validationScores = cycle.validationScores;
      log(`heart-cycle model fitted (weight ${cycle.weight})`);
    }
    await saveTfjsModel(model, options.outDir);
    model.dispose();
    const report: TrainingReport = {
      version: options.version,
      backend,
      bestEpoch,
      stoppedBecause,
      minutes: (Date.now() - started) / 60_000,
      validation: reportFor(validationScores, calibration, threshold),
      history,
      datasetFingerprint: datasetFingerprint(options.training),
      counts: {
        training: training.length,
        validation: validation.length,
        heldOut: 0,
        failedToDecode: failed.length,
      },
    };
    await writeFile(join(options.outDir, 'metrics.json'), JSON.stringify(report, null, 2) + '\n');
    const manifest: ModelManifest = {
      schemaVersion: 1,
      name: 'heartbeat-pcg-cnn',
      version: options.version,
      createdAt: new Date().toISOString(),
      input: describeModelInput(modelInput),
      decision: {
        calibration,
        threshold,
        thresholdRule,
        minimumQuality: DEFAULT_MINIMUM_QUALITY,
        ...cycleModelManifestFields(cycle).decision,
      },
      artifacts: {
        tfjs: TFJS_MODEL_FILE,
        metrics: 'metrics.json',
        ...cycleModelManifestFields(cycle).artifacts,
      },
      training: {
        params: { ...params, blockFilters: options.params.blockFilters ?? null },
        bestEpoch,
        datasetFingerprint: report.datasetFingerprint,
        resumedFromEpoch: resume ? done : null,
      },
    };
    writeModelManifest(options.outDir, manifest);
    await finaliseModelDirectory(options.outDir, { trainCommand: options.trainCommand });
    return { report, resumedFromEpoch: resume ? done : undefined };
  }
}

/** Checkpoint as two objects' bodies: a JSON header and the raw float32 weights. */
export function encodeCheckpoint(checkpoint: TrainingCheckpoint): { header: string; weights: Buffer } {
  const { weights, ...header } = checkpoint;
  return {
    header: JSON.stringify(header),
    weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
  };
}

export function decodeCheckpoint(header: string, weights: Buffer): TrainingCheckpoint {
  const parsed = JSON.parse(header) as Omit<TrainingCheckpoint, 'weights'>;
  const copy = new Uint8Array(weights.byteLength);
  copy.set(weights);
  return { ...parsed, weights: new Float32Array(copy.buffer) };
}
