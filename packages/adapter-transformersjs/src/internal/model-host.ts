import type { Worker } from 'node:worker_threads';
import { errorFromException, throwIfAborted, type CallTarget } from '@ragbridge/core-interfaces';
import type { LoadedModelReport, ModelLoadConfig, ShutdownRequest, WorkerFailure, WorkerRequest, WorkerResponse } from './protocol.js';
import { startWorker } from './worker-entry.js';
import { errorFromWorkerFailure, workerCrashError } from './worker-errors.js';

/** A request as the caller builds it; the host adds the id and the cancel flag. */
export type HostRequest = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id' | 'cancel'> : never) : never;

type ResultMessage = Exclude<WorkerResponse, { type: 'loaded' | 'load-failed' | 'delta' | 'failed' }>;

interface Caller {
  resolve(message: ResultMessage): void;
  reject(error: unknown): void;
  onDelta: ((text: string) => void) | undefined;
}

/** Sees every message to and from workers; tests use it to read what the model received. */
export type WorkerTrafficListener = (message: WorkerRequest | WorkerResponse) => void;

const listeners = new Set<WorkerTrafficListener>();

/** Calls `listener` with every message between this process and its model workers; returns an unsubscribe function. */
export function observeWorkerTraffic(listener: WorkerTrafficListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(message: WorkerRequest | WorkerResponse): void {
  for (const listener of listeners) listener(message);
}

/**
 * One model in one worker thread. The worker starts on the first call (or {@link load}) and
 * loads the model once; calls are posted to it and answered by message.
 *
 * The worker keeps the process alive only while it loads or runs something (including calls
 * whose caller already gave up: ONNX Runtime must not be torn down mid-run). A failed load ends
 * the worker, and the next call starts a new one (the model folder may have been fixed
 * meanwhile); the adapter itself never repeats a call.
 */
export class ModelHost {
  private worker: Worker | undefined;
  private loading: Promise<LoadedModelReport> | undefined;
  private loadWaiter: { resolve(report: LoadedModelReport): void; reject(error: unknown): void } | undefined;
  private loadedReport: LoadedModelReport | undefined;
  /** Callers waiting for an answer, by request id. */
  private readonly callers = new Map<number, Caller>();
  /** Requests the worker has not answered yet (waited for or not), with their cancel flags. */
  private readonly inFlight = new Map<number, Int32Array>();
  private nextId = 1;
  /** Adapters sharing this host (see {@link acquireModelHost}). */
  users = 0;

  constructor(
    readonly config: ModelLoadConfig,
    private readonly target: CallTarget,
  ) {}

  /** What loading cost, once the model is loaded. */
  get report(): LoadedModelReport | undefined {
    return this.loadedReport;
  }

  /** Whether a worker is loading or has loaded the model, so the next call starts none. */
  get started(): boolean {
    return this.loading !== undefined;
  }

  /** Loads the model (once); `signal` only stops this caller from waiting. */
  load(signal?: AbortSignal): Promise<LoadedModelReport> {
    this.loading ??= this.start();
    if (!signal) return this.loading;
    throwIfAborted(signal, this.target);
    const loading = this.loading;
    return new Promise<LoadedModelReport>((resolve, reject) => {
      const onAbort = (): void => reject(errorFromException(signal.reason, this.target, signal));
      signal.addEventListener('abort', onAbort, { once: true });
      loading.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * Posts a request once the model is loaded and resolves with the worker's answer. Aborting
   * rejects at once with the signal's reason (mapped by `errorFromException`) and raises the
   * request's cancel flag, which the worker checks before running and between generation steps.
   */
  async call(request: HostRequest, signal: AbortSignal | undefined, onDelta?: (text: string) => void): Promise<ResultMessage> {
    await this.load(signal);
    throwIfAborted(signal, this.target);
    const worker = this.worker;
    if (!worker) throw workerCrashError(this.target, 'the worker is gone');
    const id = this.nextId++;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const message = { ...request, id, cancel } as WorkerRequest;
    return new Promise<ResultMessage>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(cancel, 0, 1);
        this.callers.delete(id);
        reject(errorFromException(signal?.reason, this.target, signal));
      };
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      this.callers.set(id, {
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        onDelta,
      });
      this.inFlight.set(id, cancel);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.updateRef();
      notify(message);
      worker.postMessage(message);
    });
  }

  /**
   * Ends the worker and forgets the model; the next call loads it again. Calls in flight are
   * cancelled and rejected. The worker finishes what ONNX Runtime is running, releases its
   * sessions and exits by itself.
   */
  async terminate(): Promise<void> {
    const worker = this.worker;
    this.reset(workerCrashError(this.target, 'the model was disposed'));
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ type: 'shutdown' } satisfies ShutdownRequest);
    await exited;
  }

  private start(): Promise<LoadedModelReport> {
    let worker: Worker;
    try {
      worker = startWorker(this.config);
    } catch (error) {
      return Promise.reject(workerCrashError(this.target, error instanceof Error ? error.message : String(error), error));
    }
    this.worker = worker;
    worker.on('message', (message: WorkerResponse) => {
      if (this.worker === worker) this.onMessage(message);
    });
    worker.on('error', (error) => {
      if (this.worker === worker) this.reset(workerCrashError(this.target, error.message, error));
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.reset(workerCrashError(this.target, `exit code ${code}`));
    });
    return new Promise<LoadedModelReport>((resolve, reject) => {
      this.loadWaiter = { resolve, reject };
    });
  }

  private onMessage(message: WorkerResponse): void {
    notify(message);
    switch (message.type) {
      case 'loaded':
        this.loadedReport = message.report;
        this.loadWaiter?.resolve(message.report);
        this.loadWaiter = undefined;
        this.updateRef();
        return;
      case 'load-failed':
        // The worker exits by itself after a failed load.
        this.worker?.unref();
        this.reset(this.toError(message.error));
        return;
      case 'delta':
        this.callers.get(message.id)?.onDelta?.(message.text);
        return;
      case 'failed':
        this.finish(message.id)?.reject(this.toError(message.error));
        return;
      default:
        this.finish(message.id)?.resolve(message);
    }
  }

  /** Marks request `id` answered and returns its caller, if one still waits. */
  private finish(id: number): Caller | undefined {
    const caller = this.callers.get(id);
    this.callers.delete(id);
    this.inFlight.delete(id);
    this.updateRef();
    return caller;
  }

  private toError(failure: WorkerFailure): unknown {
    return errorFromWorkerFailure(failure, this.config, this.target);
  }

  /** Fails everything in flight with `error` and returns to the not-started state. */
  private reset(error: unknown): void {
    this.worker = undefined;
    this.loading = undefined;
    this.loadedReport = undefined;
    this.loadWaiter?.reject(error);
    this.loadWaiter = undefined;
    for (const cancel of this.inFlight.values()) Atomics.store(cancel, 0, 1);
    this.inFlight.clear();
    const callers = [...this.callers.values()];
    this.callers.clear();
    for (const caller of callers) caller.reject(error);
  }

  private updateRef(): void {
    if (!this.worker) return;
    if (this.loadWaiter || this.inFlight.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}

const hosts = new Map<string, ModelHost>();

/**
 * The host for `config`, shared by every adapter with the same load configuration, so a model is
 * loaded once per process however many adapters use it.
 */
export function acquireModelHost(config: ModelLoadConfig, target: CallTarget): ModelHost {
  const key = JSON.stringify(config);
  let host = hosts.get(key);
  if (!host) {
    host = new ModelHost(config, target);
    hosts.set(key, host);
  }
  host.users++;
  return host;
}

/** Gives up one adapter's use of `host`; the last user ends its worker. */
export async function releaseModelHost(host: ModelHost): Promise<void> {
  host.users = Math.max(0, host.users - 1);
  if (host.users > 0) return;
  const key = JSON.stringify(host.config);
  if (hosts.get(key) === host) hosts.delete(key);
  await host.terminate();
}
