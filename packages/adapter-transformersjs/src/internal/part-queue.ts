/**
 * A one-consumer queue between a producer that pushes (worker messages) and an async iterator
 * that pulls: items come out in order, then the end or the failure.
 */
export class PartQueue<T> {
  private readonly items: T[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  /** True once the producer ended or failed. */
  get settled(): boolean {
    return this.ended || this.failure !== undefined;
  }

  push(item: T): void {
    if (this.settled) return;
    this.items.push(item);
    this.notify();
  }

  /** Ends the queue after the items already pushed. */
  end(): void {
    if (this.settled) return;
    this.ended = true;
    this.notify();
  }

  /** Fails the queue: the consumer gets the items already pushed, then `error`. */
  fail(error: unknown): void {
    if (this.settled) return;
    this.failure = { error };
    this.notify();
  }

  /** The next item, or undefined at the end; rejects with the failure once the items run out. */
  async next(): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) return this.items.shift();
      if (this.failure) throw this.failure.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
