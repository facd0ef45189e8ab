import { errorFromException, RequestTimeoutError, type CallTarget } from '@ragbridge/core-interfaces';
import type { Clock } from '../clock.js';

/**
 * A child of the caller's signal with a countdown of its own. Work started under `signal` is
 * aborted when the caller aborts or when the countdown ends; `race` settles at that moment even if
 * the work ignores its signal, so a misbehaving backend cannot hold a call past its deadline.
 */
export class DeadlineScope {
  /** The signal to hand to the work. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: AbortController | undefined;
  private readonly waiters = new Set<(error: unknown) => void>();
  private timeoutError: RequestTimeoutError | undefined;
  private readonly onParentAbort: () => void;

  constructor(
    private readonly parent: AbortSignal | undefined,
    private readonly clock: Clock,
    private readonly target: CallTarget,
    /** Says what ran out of time, e.g. `No response within 5000 ms`. */
    private readonly describe: (ms: number) => string,
  ) {
    this.signal = this.controller.signal;
    this.onParentAbort = () => {
      this.stop();
      this.controller.abort(parent?.reason);
      this.fail(errorFromException(parent?.reason, target, parent));
    };
    if (parent?.aborted) this.onParentAbort();
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /** True once the countdown has ended the work. */
  get timedOut(): boolean {
    return this.timeoutError !== undefined;
  }

  /** The error the countdown ended the work with. */
  get error(): RequestTimeoutError | undefined {
    return this.timeoutError;
  }

  /** Starts (or restarts) the countdown; `describe` overrides the scope's message for this one. */
  start(ms: number, describe: (ms: number) => string = this.describe): void {
    this.stop();
    if (this.signal.aborted) return;
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(ms, timer.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        const message = describe(ms);
        this.timeoutError = new RequestTimeoutError({ ...this.target, message });
        this.controller.abort(new DOMException(message, 'TimeoutError'));
        this.fail(this.timeoutError);
      },
      () => undefined,
    );
  }

  /** Cancels the countdown; the scope stays linked to the caller's signal. */
  stop(): void {
    const timer = this.timer;
    this.timer = undefined;
    timer?.abort();
  }

  /** Cancels the countdown and unlinks from the caller's signal. */
  dispose(): void {
    this.stop();
    this.parent?.removeEventListener('abort', this.onParentAbort);
    this.waiters.clear();
  }

  /** Settles with `work`, or rejects as soon as the caller aborts or the countdown ends. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.timeoutError) {
        work.catch(() => undefined);
        reject(this.timeoutError);
        return;
      }
      if (this.parent?.aborted) {
        work.catch(() => undefined);
        reject(errorFromException(this.parent.reason, this.target, this.parent));
        return;
      }
      const waiter = (error: unknown): void => reject(error);
      this.waiters.add(waiter);
      work.then(
        (value) => {
          this.waiters.delete(waiter);
          resolve(value);
        },
        (error: unknown) => {
          this.waiters.delete(waiter);
          reject(this.timeoutError ?? error);
        },
      );
    });
  }

  private fail(error: unknown): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter(error);
  }
}
