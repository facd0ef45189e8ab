import { redactSecrets } from '@ragbridge/core-interfaces';
import type { RuntimeOptions } from '@ragbridge/runtime';

/** Highest process RSS seen between start and `stop()`, sampled every `intervalMs`. */
export function sampleRss(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak;
    },
  };
}

type ResilienceListener = NonNullable<RuntimeOptions['onResilienceEvent']>;

/** Counts failed chain steps from the runtime's resilience events, passing every event on to the caller's listener. */
export function failedStepCounter(listener: ResilienceListener | undefined): {
  onEvent: ResilienceListener;
  failures(): Array<{ operation: string; step: string; error: string; count: number }>;
} {
  const counts = new Map<string, { operation: string; step: string; error: string; count: number }>();
  return {
    onEvent(event) {
      if (event.type === 'step-failed') {
        const error = event.error instanceof Error ? event.error.name : typeof event.error;
        const id = `${event.operation}\u0000${event.key}\u0000${error}`;
        const entry = counts.get(id) ?? { operation: event.operation, step: event.key, error, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
      listener?.(event);
    },
    failures: () => [...counts.values()],
  };
}

/** A failure as one line for notes: the error's name and message, with registered secrets redacted. */
export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
