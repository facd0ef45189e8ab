import { errorFromException, type CallTarget } from '@ragbridge/core-interfaces';
import type { TransformersModelControls, TransformersModelInfo } from '../transformers-model-info.js';
import { acquireModelHost, releaseModelHost, type ModelHost } from './model-host.js';
import { defaultAllowRemoteModels, TRANSFORMERSJS_BACKEND } from '../transformers-options.js';
import type { ModelLoadConfig, ModelTask } from './protocol.js';

/**
 * An adapter's lazy link to its {@link ModelHost}: the load configuration is resolved (and the
 * environment read) at the first call, not when the adapter is created.
 */
export class ModelHandle {
  private host: ModelHost | undefined;

  constructor(
    private readonly resolveConfig: () => ModelLoadConfig,
    readonly target: CallTarget & { modelId: string },
  ) {}

  /** The host, acquired on first use. */
  get(): ModelHost {
    this.host ??= acquireModelHost(this.resolveConfig(), this.target);
    return this.host;
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
export function modelHandleFor(task: ModelTask, modelId: string, source: ModelSourceOptions, defaultDtype: ModelLoadConfig['dtype']): ModelHandle {
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
  );
}
