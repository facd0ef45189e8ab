import { windowBounds, type BudgetWindow } from '../clock.js';

/** The current UTC day or month: its bounds, moved on when time passes it. */
export class CalendarWindow {
  start = Number.NaN;
  end = Number.NaN;

  constructor(readonly window: BudgetWindow) {}

  /** Moves to the window containing `now`; true when the window changed. */
  roll(now: number): boolean {
    if (now >= this.start && now < this.end) return false;
    const bounds = windowBounds(this.window, now);
    this.start = bounds.start;
    this.end = bounds.end;
    return true;
  }

  /** True when `at` falls in the current window. */
  contains(at: number): boolean {
    return at >= this.start && at < this.end;
  }
}

/** Money spent in the current UTC day or month, optionally for one backend only. */
export class WindowedSpend extends CalendarWindow {
  spent = 0;

  constructor(
    window: BudgetWindow,
    readonly backend: string | undefined,
  ) {
    super(window);
  }

  /** True when calls on `backend` count here. */
  applies(backend: string): boolean {
    return this.backend === undefined || this.backend === backend;
  }

  /** Moves to the window containing `now`, forgetting the spend; true when the window changed. */
  override roll(now: number): boolean {
    if (!super.roll(now)) return false;
    this.spent = 0;
    return true;
  }
}

/** Samples of the last `windowMs` milliseconds, kept sorted by value for percentiles. */
export class RollingSamples {
  private readonly arrivals: Array<{ at: number; value: number }> = [];
  private head = 0;
  private readonly sorted: number[] = [];
  private total = 0;

  constructor(readonly windowMs: number) {}

  get size(): number {
    return this.sorted.length;
  }

  add(at: number, value: number): void {
    this.arrivals.push({ at, value });
    this.total += value;
    this.sorted.splice(this.lowerBound(value), 0, value);
  }

  /** Drops samples older than `now - windowMs`. */
  prune(now: number): void {
    const oldest = now - this.windowMs;
    while (this.head < this.arrivals.length && (this.arrivals[this.head] as { at: number }).at < oldest) {
      const { value } = this.arrivals[this.head] as { value: number };
      this.sorted.splice(this.lowerBound(value), 1);
      this.total -= value;
      this.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.arrivals.length) {
      this.arrivals.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Nearest-rank percentile (`p` in 0–100); NaN when empty. */
  percentile(p: number): number {
    if (this.sorted.length === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.sorted.length));
    return this.sorted[rank - 1] as number;
  }

  /** Sum of the values (errors counted as 1/0 samples add up to the error count). */
  sum(): number {
    return this.sorted.length === 0 ? 0 : this.total;
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Nearest-rank percentile of unsorted values (`p` in 0–100); null when empty. */
export function percentileOf(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
}
