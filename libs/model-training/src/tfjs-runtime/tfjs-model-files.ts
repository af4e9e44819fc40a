// Saves and loads a tfjs LayersModel as model.json + weights.bin with node:fs, because the
// file:// handlers ship only with tfjs-node, which is not installed here.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from '@heartbeat/model';

/** Writes `dir/model.json` (topology + weights manifest) and `dir/weights.bin`. */
export async function saveTfjsModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemModelWriter(dir));
}

/** Loads a model written by saveTfjsModel (or by tfjs-node's file:// handler, single shard). */
export async function loadTfjsModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemModelReader(dir));
}

export function fileSystemModelWriter(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const weightData = concatWeightData(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${TFJS_WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, TFJS_WEIGHTS_FILE), new Uint8Array(weightData));
      await writeFile(join(dir, TFJS_MODEL_FILE), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weightData.byteLength,
        },
      };
    },
  };
}

export function fileSystemModelReader(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const modelJson = JSON.parse(await readFile(join(dir, TFJS_MODEL_FILE), 'utf8')) as tf.io.ModelJSON;
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const path of group.paths) buffers.push(await readFile(join(dir, path)));
      }
      const weightData = concatWeightData(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
      );
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        weightSpecs,
        weightData,
        trainingConfig: modelJson.trainingConfig,
        userDefinedMetadata: modelJson.userDefinedMetadata,
      };
    },
  };
}

function concatWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  const total = data.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const buffer of data) {
    out.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return out.buffer;
}
