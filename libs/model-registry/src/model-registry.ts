// The model registry: a model version is a model_versions row (status, metrics, dataset
// fingerprint) plus its artifacts in object storage under models/<version>/<file>. Versions are
// immutable once registered. Promotion is a database transaction followed by an announcement on
// Redis; the database stays the source of truth, so a lost announcement only delays a hot swap
// until the workers' next poll.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type {
  AuditRepository,
  ModelVersion,
  ModelVersionsRepository,
  ModelVersionStatus,
} from '@heartbeat/db';
import {
  bundledModelDirs,
  CYCLE_MODEL_FILE,
  MANIFEST_FILE,
  readModelManifest,
  type ModelManifest,
} from '@heartbeat/model';
import { MODEL_PROMOTED_CHANNEL, modelPromotedEventSchema, type ModelPromotedEvent } from '@heartbeat/queue';
import { ObjectNotFoundError } from '@heartbeat/storage';
import { ModelRegistryError, versionNotFound } from './errors';
import { readValidationScores } from './validation-curves';

/** The rows half of the registry (ModelVersionsRepository satisfies it). */
export type ModelVersionStore = Pick<
  ModelVersionsRepository,
  | 'create'
  | 'findByVersion'
  | 'findPromoted'
  | 'list'
  | 'promote'
  | 'setStatus'
  | 'saveValidationScores'
  | 'countValidationScores'
>;

/** The artifacts half (ObjectStorage satisfies it). */
export interface ArtifactStore {
  putAt(key: string, body: Buffer | Uint8Array | string, options?: { contentType?: string }): Promise<void>;
  getStream(key: string): Promise<Readable>;
  /** The object's description, or undefined when nothing is stored under the key. */
  head(key: string): Promise<unknown>;
}

/** Where promotions are announced (an ioredis client satisfies it). */
export interface PromotionPublisher {
  publish(channel: string, message: string): Promise<unknown>;
}

export type AuditTrail = Pick<AuditRepository, 'record'>;

export interface ModelRegistryDependencies {
  modelVersions: ModelVersionStore;
  artifacts: ArtifactStore;
  publisher: PromotionPublisher;
  audit?: AuditTrail;
  /** Root of the shipped model versions; default the repository's models/. */
  bundledModelsRoot?: string;
  /** Non-fatal problems, e.g. an announcement that could not be published. */
  onWarning?: (message: string, error?: unknown) => void;
}

export interface RegisterOptions {
  /** 'promoted' registers and then promotes in one call. Default 'candidate'. */
  status?: Extract<ModelVersionStatus, 'candidate' | 'promoted'>;
  reason?: string;
  actor?: string;
  trainingRunId?: string;
}

export interface RegisterOutcome {
  modelVersion: ModelVersion;
  /** False when the version was already registered; its artifacts were left untouched. */
  created: boolean;
}

export interface PromoteOptions {
  reason?: string;
  /** Who asked, for the audit trail: an API key name, 'system', 'cli'... */
  actor?: string;
  /** The API key behind the request, when there is one. */
  actorKeyId?: string;
}

export interface PromotionOutcome {
  promoted: ModelVersion;
  previous?: ModelVersion;
  /** False when the version was already the promoted one (nothing changed, nothing announced). */
  changed: boolean;
  /** Whether the Redis announcement went out; workers poll anyway, so false only delays the swap. */
  announced: boolean;
}

export const MODEL_ARTIFACTS_PREFIX = 'models';

/** Logical names of the well-known files in artifactKeys; any other file is keyed by its file name. */
const ARTIFACT_ROLES: Record<string, string> = {
  [MANIFEST_FILE]: 'manifest',
  'model.onnx': 'onnx',
  'model.json': 'tfjs',
  'weights.bin': 'tfjsWeights',
  'MODEL_CARD.md': 'card',
  'metrics.json': 'metrics',
  [CYCLE_MODEL_FILE]: 'cycleModel',
};

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

export function artifactKey(version: string, file: string): string {
  return `${MODEL_ARTIFACTS_PREFIX}/${version}/${file}`;
}

/** Rejects version strings that could escape a cache directory or an object prefix. */
function assertSafeVersion(version: string): void {
  if (!/^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$/.test(version) || version.includes('..'))
    throw new ModelRegistryError('MODEL_ARTIFACTS_INVALID', `"${version}" is not a usable model version`);
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause)
    if ((e as { code?: string }).code === '23505') return true;
  return false;
}

export class ModelRegistry {
  private readonly modelVersions: ModelVersionStore;
  private readonly artifacts: ArtifactStore;
  private readonly publisher: PromotionPublisher;
  private readonly audit?: AuditTrail;
  private readonly onWarning: (message: string, error?: unknown) => void;

  constructor(private readonly dependencies: ModelRegistryDependencies) {
    this.modelVersions = dependencies.modelVersions;
    this.artifacts = dependencies.artifacts;
    this.publisher = dependencies.publisher;
    this.audit = dependencies.audit;
    this.onWarning = dependencies.onWarning ?? (() => undefined);
  }

  findPromoted(): Promise<ModelVersion | undefined> {
    return this.modelVersions.findPromoted();
  }

  findByVersion(version: string): Promise<ModelVersion | undefined> {
    return this.modelVersions.findByVersion(version);
  }

  list(filter: { status?: ModelVersionStatus } = {}): Promise<ModelVersion[]> {
    return this.modelVersions.list(filter);
  }

  /**
   * Uploads every file of a model version directory to models/<version>/ and creates its row
   * (metrics from metrics.json, dataset fingerprint from the manifest). The row is written last, so
   * a registered version always has its artifacts. Registering an existing version changes nothing.
   */
  async registerModelDirectory(dir: string, options: RegisterOptions = {}): Promise<RegisterOutcome> {
    const manifest = readModelManifest(dir);
    assertSafeVersion(manifest.version);
    let outcome: RegisterOutcome;
    const existing = await this.modelVersions.findByVersion(manifest.version);
    if (existing) {
      outcome = { modelVersion: existing, created: false };
      // A database that outlived its bucket (a new bucket, a restored database): the row would
      // point at nothing and every worker would fail to load it. The directory has the files.
      const missing = await this.missingArtifacts(existing);
      if (missing.length > 0) {
        this.onWarning(
          `Model version ${manifest.version} was registered but ${missing.length} of its files were missing from object storage (${missing.join(', ')}); uploaded them again from ${dir}`,
        );
        await this.uploadArtifacts(dir, manifest.version);
      }
      // Versions registered before scores were stored (or a crash right after the row) get them now.
      if ((await this.modelVersions.countValidationScores(existing.id)) === 0)
        await this.storeValidationScores(dir, manifest, existing);
    } else {
      const artifactKeys = await this.uploadArtifacts(dir, manifest.version);
      outcome = await this.createRow({
        version: manifest.version,
        metrics: await this.readMetrics(dir, manifest),
        artifactKeys,
        datasetFingerprint: datasetFingerprintOf(manifest),
        trainingRunId: options.trainingRunId,
      });
      if (outcome.created) {
        await this.storeValidationScores(dir, manifest, outcome.modelVersion);
        await this.audit?.record({
          action: 'model.registered',
          subjectType: 'model_version',
          subjectId: manifest.version,
          details: { actor: options.actor ?? 'system', artifactKeys },
        });
      }
    }
    if (options.status === 'promoted') {
      const { promoted } = await this.promote(manifest.version, {
        reason: options.reason,
        actor: options.actor,
      });
      outcome = { ...outcome, modelVersion: promoted };
    }
    return outcome;
  }

  /**
   * On a fresh installation nothing is promoted yet: register the newest shipped models/ version and
   * promote it, so the first worker has something to serve. Returns the promoted version either way.
   * Safe when several workers start at once (registration and promotion are idempotent).
   */
  async ensureBundledModelRegistered(): Promise<ModelVersion> {
    const bundled = bundledModelDirs(this.dependencies.bundledModelsRoot);
    // A deploy that ships a newer model makes it visible as a candidate; the serving version only
    // changes by promotion (an admin's, or the training worker's policy), never by a restart.
    for (const dir of bundled)
      await this.registerModelDirectory(dir, { status: 'candidate', actor: 'system' });
    const promoted = await this.modelVersions.findPromoted();
    if (promoted) return promoted;
    const [newest] = bundled;
    if (!newest)
      throw new ModelRegistryError(
        'NO_BUNDLED_MODEL',
        'No model version is promoted and no bundled model was found in models/ (expected models/<version>/heartbeat-model.json)',
      );
    const { promoted: firstServed } = await this.promote(readModelManifest(newest).version, {
      reason: 'bundled model registered at first start',
      actor: 'system',
    });
    return firstServed;
  }

  /**
   * Downloads a version's artifacts into `<cacheDir>/<version>/` and returns that directory. The
   * files land in a temporary directory that is renamed into place, so a crash or a concurrent
   * download never leaves a half-written version that looks complete.
   */
  async materialise(version: string, cacheDir: string): Promise<string> {
    assertSafeVersion(version);
    const target = join(cacheDir, version);
    if (await isCompleteVersionDir(target, version)) return target;
    const row = await this.modelVersions.findByVersion(version);
    if (!row) throw versionNotFound(version);
    const keys = Object.values(row.artifactKeys);
    if (keys.length === 0)
      throw new ModelRegistryError('MODEL_ARTIFACTS_INVALID', `Model version ${version} has no artifacts`);
    await mkdir(cacheDir, { recursive: true });
    const temporary = join(cacheDir, `.${version}.${randomUUID()}.partial`);
    await mkdir(temporary);
    try {
      for (const key of keys) {
        let source: Readable;
        try {
          source = await this.artifacts.getStream(key);
        } catch (error) {
          if (!(error instanceof ObjectNotFoundError)) throw error;
          throw new ModelRegistryError(
            'MODEL_ARTIFACTS_MISSING',
            `Model version ${version} is registered but its file ${key} is missing from object storage (bucket emptied or replaced?). ` +
              `Restore the bucket from its backup, or promote a version whose files are there (POST /api/v1/models/{version}/promote), ` +
              `or register the version again from its directory; a shipped version (models/) is uploaded again at the next worker start.`,
          );
        }
        await pipeline(source, createWriteStream(join(temporary, basename(key))));
      }
      const manifest = readModelManifest(temporary);
      if (manifest.version !== version)
        throw new ModelRegistryError(
          'MODEL_ARTIFACTS_INVALID',
          `Artifacts of model version ${version} hold a manifest for version ${manifest.version}`,
        );
      try {
        await rename(temporary, target);
      } catch (error) {
        // Another process finished the same download first; its copy is as good as ours.
        if (await isCompleteVersionDir(target, version)) return target;
        // A damaged leftover (crash before this code existed, disk full...): move it aside, retry once.
        const stale = join(cacheDir, `.${version}.${randomUUID()}.stale`);
        await rename(target, stale).catch(() => undefined);
        await rm(stale, { recursive: true, force: true });
        await rename(temporary, target).catch(async (retryError: unknown) => {
          if (!(await isCompleteVersionDir(target, version))) throw new AggregateError([error, retryError]);
        });
      }
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    return target;
  }

  /**
   * Makes `version` the one serving predictions: one transaction retires the previous version, then
   * the promotion is recorded in the audit trail and announced on MODEL_PROMOTED_CHANNEL.
   */
  async promote(version: string, options: PromoteOptions = {}): Promise<PromotionOutcome> {
    return this.promoteRecordedAs('model.promoted', version, options);
  }

  private async promoteRecordedAs(
    action: 'model.promoted' | 'model.rolled_back',
    version: string,
    options: PromoteOptions,
  ): Promise<PromotionOutcome> {
    const current = await this.modelVersions.findPromoted();
    if (current?.version === version) return { promoted: current, changed: false, announced: false };
    if (!(await this.modelVersions.findByVersion(version))) throw versionNotFound(version);
    const { promoted, previous } = await this.modelVersions.promote(version, options.reason);
    await this.audit?.record({
      action,
      actorKeyId: options.actorKeyId,
      subjectType: 'model_version',
      subjectId: version,
      details: {
        actor: options.actor ?? 'system',
        reason: options.reason ?? null,
        previousVersion: previous?.version ?? null,
      },
    });
    const announced = await this.announce({
      version: promoted.version,
      previousVersion: previous?.version,
      artifactKeys: promoted.artifactKeys,
      promotedAt: (promoted.promotedAt ?? new Date()).toISOString(),
      schemaVersion: 1,
    });
    return { promoted, previous, changed: true, announced };
  }

  /**
   * Promotes again the version that served before the current one (the most recently retired one);
   * the audit trail records it as `model.rolled_back`, apart from promotions.
   */
  async rollback(options: PromoteOptions = {}): Promise<PromotionOutcome> {
    const current = await this.modelVersions.findPromoted();
    const retired = (await this.modelVersions.list({ status: 'retired' }))
      .filter((row) => row.promotedAt && row.retiredAt && row.version !== current?.version)
      .sort((a, b) => b.retiredAt!.getTime() - a.retiredAt!.getTime());
    const target = retired[0];
    if (!target)
      throw new ModelRegistryError(
        'NO_PREVIOUS_VERSION',
        `Nothing to roll back to: no model version served before ${current?.version ?? 'now'}`,
      );
    return this.promoteRecordedAs('model.rolled_back', target.version, {
      ...options,
      reason: options.reason ?? `rollback from ${current?.version ?? 'none'}`,
    });
  }

  /**
   * Takes a version out of the running: `rejected` (failed the promotion policy) or `retired` (an
   * admin withdrew it). The serving version cannot be withdrawn this way; promote another or roll back.
   */
  async withdraw(
    version: string,
    status: Extract<ModelVersionStatus, 'rejected' | 'retired'>,
    options: PromoteOptions = {},
  ): Promise<ModelVersion> {
    const row = await this.modelVersions.findByVersion(version);
    if (!row) throw versionNotFound(version);
    if (row.status === 'promoted')
      throw new ModelRegistryError(
        'MODEL_VERSION_PROMOTED',
        `Model version ${version} is serving predictions; promote another version or roll back before withdrawing it`,
      );
    const updated = (await this.modelVersions.setStatus(version, status, options.reason)) ?? row;
    await this.audit?.record({
      action: status === 'rejected' ? 'model.rejected' : 'model.retired',
      actorKeyId: options.actorKeyId,
      subjectType: 'model_version',
      subjectId: version,
      details: { actor: options.actor ?? 'system', reason: options.reason ?? null },
    });
    return updated;
  }

  private async announce(event: ModelPromotedEvent): Promise<boolean> {
    try {
      await this.publisher.publish(
        MODEL_PROMOTED_CHANNEL,
        JSON.stringify(modelPromotedEventSchema.parse(event)),
      );
      return true;
    } catch (error) {
      this.onWarning(
        `Could not announce the promotion of model ${event.version}; workers will see it at their next poll`,
        error,
      );
      return false;
    }
  }

  /** The validation split's per-recording scores, for ROC curves and calibration plots. */
  private async storeValidationScores(
    dir: string,
    manifest: ModelManifest,
    row: ModelVersion,
  ): Promise<void> {
    const scores = await readValidationScores(dir, manifest.decision.calibration);
    if (scores) await this.modelVersions.saveValidationScores(row.id, scores);
  }

  private async missingArtifacts(row: ModelVersion): Promise<string[]> {
    const keys = Object.values(row.artifactKeys);
    const found = await Promise.all(keys.map((key) => this.artifacts.head(key)));
    return keys.filter((_, i) => found[i] === undefined);
  }

  private async uploadArtifacts(dir: string, version: string): Promise<Record<string, string>> {
    const artifactKeys: Record<string, string> = {};
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      const key = artifactKey(version, entry.name);
      const extension = entry.name.slice(entry.name.lastIndexOf('.'));
      await this.artifacts.putAt(key, await readFile(join(dir, entry.name)), {
        contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      });
      artifactKeys[ARTIFACT_ROLES[entry.name] ?? entry.name] = key;
    }
    return artifactKeys;
  }

  private async readMetrics(dir: string, manifest: ModelManifest): Promise<Record<string, unknown>> {
    const file = join(dir, manifest.artifacts.metrics ?? 'metrics.json');
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ModelRegistryError(
        'MODEL_ARTIFACTS_INVALID',
        `${file} is not valid JSON: ${(error as Error).message}`,
      );
    }
  }

  private async createRow(row: Parameters<ModelVersionStore['create']>[0]): Promise<RegisterOutcome> {
    try {
      return { modelVersion: await this.modelVersions.create(row), created: true };
    } catch (error) {
      // Two processes registered the same version at once: the other one's row wins.
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.modelVersions.findByVersion(row.version);
      if (!existing) throw error;
      return { modelVersion: existing, created: false };
    }
  }
}

function datasetFingerprintOf(manifest: ModelManifest): string | undefined {
  const fingerprint = manifest.training?.datasetFingerprint;
  return typeof fingerprint === 'string' ? fingerprint : undefined;
}

async function isCompleteVersionDir(dir: string, version: string): Promise<boolean> {
  try {
    await stat(join(dir, MANIFEST_FILE));
    return readModelManifest(dir).version === version;
  } catch {
    return false;
  }
}
