/** A source of the current time; inject one in tests to move time without sleeping. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/** The wall clock (`Date.now()`). */
export const systemClock: Clock = { now: () => Date.now() };

/** The calendar windows budgets and cost alerts count in. Both are UTC. */
export type BudgetWindow = 'day' | 'month';

/** Start and end (exclusive) in epoch ms of the UTC day or month containing `at`. */
export function windowBounds(window: BudgetWindow, at: number): { start: number; end: number } {
  const d = new Date(at);
  if (window === 'day') {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { start, end: start + 86_400_000 };
  }
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}
