/** A value, or a promise of it: in-process implementations answer at once, shared ones over the network. */
export type MaybePromise<T> = T | Promise<T>;

/** True when `value` is a promise (or any thenable). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Applies `fn` to a value now, or to a promise's value when it resolves. A synchronous value stays
 * synchronous, so in-process paths keep running without an `await` (and its microtask) between steps.
 */
export function andThen<T, R>(value: MaybePromise<T>, fn: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromise(value) ? value.then(fn) : fn(value);
}
