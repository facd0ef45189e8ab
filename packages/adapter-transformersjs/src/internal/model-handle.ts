import { performance } from 'node:perf_hooks';
import { errorFromException, type CallTarget } from '@ragbridge/core-interfaces';
import type { TransformersModelControls, TransformersModelInfo } from '../transformers-model-info.js';
import { acquireModelHost, releaseModelHost, type ModelHost } from './model-host.js';
import { defaultAllowRemoteModels, TRANSFORMERSJS_BACKEND } from '../transformers-options.js';
import { localModelFailure } from './model-files.js';
import type { ModelLoadConfig, ModelTask, WorkerFailure } from './protocol.js';
import { errorFromWorkerFailure } from './worker-errors.js';

/** How long a "model files missing" answer of the offline check is reused, and the clock it is timed by. */
export interface MissingModelCacheOptions {
  /** Milliseconds before the disk is looked at again. @default 5000 */
  ttlMs?: number;
  /** Current time in milliseconds. @default performance.now */
  now?: () => number;
}

/** Long enough that a failing pipeline step does not stat the disk per call, short enough that a model copied into place is noticed soon. */
const MISSING_MODEL_TTL_MS = 5_000;

/**
 * An adapter's lazy link to its {@link ModelHost}: the load configuration is resolved (and the
 * environment read) at the first call, not when the adapter is created.
 */
export class ModelHandle {
  private host: ModelHost | undefined;
  /** The last failed offline check and when it goes stale; per adapter, so a new adapter looks again at once. */
  private missing: { failure: WorkerFailure; until: number } | undefined;
  private readonly missingTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly resolveConfig: () => ModelLoadConfig,
    readonly target: CallTarget & { modelId: string },
    missingModelCache: MissingModelCacheOptions = {},
  ) {
    this.missingTtlMs = missingModelCache.ttlMs ?? MISSING_MODEL_TTL_MS;
    this.now = missingModelCache.now ?? (() => performance.now());
  }

  /**
   * The host, acquired on first use. With downloads off and no worker running for the model, it
   * first checks that the model files are on disk, and throws the ModelNotFoundError the
   * worker would otherwise report.
   */
  get(): ModelHost {
    const host = (this.host ??= acquireModelHost(this.resolveConfig(), this.target));
    // Learning in a worker that a model is missing means starting a thread and importing ONNX
    // Runtime: most of a second per call, paid again by every call of a pipeline step that keeps
    // failing. A few stat calls here cost microseconds. A worker already loading or loaded (for
    // this adapter or another with the same configuration) needs no check.
    if (!host.config.allowRemoteModels && !host.started) this.throwIfModelMissing(host.config);
    return host;
  }

  private throwIfModelMissing(config: ModelLoadConfig): void {
    const now = this.now();
    if (this.missing === undefined || now >= this.missing.until) {
      const failure = localModelFailure(config);
      this.missing = failure && { failure, until: now + this.missingTtlMs };
    }
    // A new error each time: callers may decorate or chain the one they get.
    if (this.missing) throw errorFromWorkerFailure(this.missing.failure, config, this.target);
  }

  /** Loads the model now and reports what it cost. */
  async load(signal?: AbortSignal): Promise<TransformersModelInfo> {
    try {
      const report = await this.get().load(signal);
      return { modelId: this.target.modelId, ...report };
    } catch (error) {
      throw errorFromException(error, this.target, signal);
    }
  }

  /** The report of the loaded model, or undefined before it has loaded. */
  info(): TransformersModelInfo | undefined {
    const report = this.host?.report;
    return report && { modelId: this.target.modelId, ...report };
  }

  /** Releases the host; the worker stops when no other adapter uses the same model. */
  async dispose(): Promise<void> {
    const host = this.host;
    this.host = undefined;
    this.missing = undefined;
    if (host) await releaseModelHost(host);
  }

  /** The methods every adapter exposes beside its contract. */
  controls(): TransformersModelControls {
    return {
      load: (options) => this.load(options?.abortSignal),
      getLoadedModelInfo: () => this.info(),
      dispose: () => this.dispose(),
    };
  }
}

/** The loading options every Transformers.js adapter takes (already validated). */
export type ModelSourceOptions = Partial<Pick<ModelLoadConfig, 'dtype' | 'revision' | 'localModelPath' | 'cacheDir' | 'allowRemoteModels' | 'threads'>>;

/**
 * The handle of an adapter for `task`: its load configuration is resolved at the first call,
 * with `defaultDtype` and `main` as defaults and downloads allowed unless HF_HUB_OFFLINE says no.
 */
export function modelHandleFor(
  task: ModelTask,
  modelId: string,
  source: ModelSourceOptions,
  defaultDtype: ModelLoadConfig['dtype'],
  missingModelCache?: MissingModelCacheOptions,
): ModelHandle {
  return new ModelHandle(
    () => ({
      task,
      model: modelId,
      dtype: source.dtype ?? defaultDtype,
      revision: source.revision ?? 'main',
      localModelPath: source.localModelPath,
      cacheDir: source.cacheDir,
      allowRemoteModels: source.allowRemoteModels ?? defaultAllowRemoteModels(),
      threads: source.threads,
    }),
    { backend: TRANSFORMERSJS_BACKEND, modelId },
    missingModelCache,
  );
}
