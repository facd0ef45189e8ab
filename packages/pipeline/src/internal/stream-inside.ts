/** A pull queue: the producer pushes, the consumer iterates; `end`/`fail` finish it. */
function partQueue<T>(): { push(item: T): void; end(): void; fail(error: unknown): void; iterate(): AsyncGenerator<T> } {
  const items: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item) {
      items.push(item);
      notify();
    },
    end() {
      finished = true;
      notify();
    },
    fail(error) {
      failure = { error };
      finished = true;
      notify();
    },
    async *iterate() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift() as T;
          continue;
        }
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/** Runs a task, possibly inside a scope it sets up (such as an async context). */
export type TaskRunner = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Streams `produce`'s parts while it runs inside `run`, which only takes a promise-returning
 * task. When the caller stops reading, the producer is aborted through the signal it was given
 * (which also follows `callerSignal`) and awaited, so `run` always settles.
 */
export async function* streamInside<T>(run: TaskRunner, produce: (abortSignal: AbortSignal) => AsyncIterable<T>, callerSignal: AbortSignal | undefined): AsyncGenerator<T> {
  const stop = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, stop.signal]) : stop.signal;
  const queue = partQueue<T>();
  const produced = run(async () => {
    for await (const part of produce(signal)) queue.push(part);
  }).then(
    () => queue.end(),
    (error: unknown) => queue.fail(error),
  );
  try {
    yield* queue.iterate();
  } finally {
    // The caller stopped reading (or the stream ended): stop the producer and let it settle.
    stop.abort();
    await produced;
  }
}
