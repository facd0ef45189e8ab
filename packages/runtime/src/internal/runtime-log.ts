import { redactSecrets, type UsageEvent } from '@ragbridge/core-interfaces';
import type { RuntimeLogger } from '../runtime-types.js';
import { isStepUnavailable } from './step-availability.js';

/** Warnings to `console.warn`; recoveries are not printed. */
export const consoleLogger: RuntimeLogger = {
  warn: (message) => console.warn(`[ragbridge] ${message}`),
  info: () => undefined,
};

/** A logger whose every message passes through the secret redactor first. */
export function redactingLogger(logger: RuntimeLogger): RuntimeLogger {
  const safe = (write: (message: string) => void) => (message: string) => {
    try {
      write(redactSecrets(message));
    } catch {
      // A failing logger must not break a question.
    }
  };
  return { warn: safe((m) => logger.warn(m)), info: safe((m) => logger.info(m)) };
}

/** One line about an error: its class name and message (already free of registered secrets). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return redactSecrets(`${error.name}: ${error.message}`);
  return redactSecrets(String(error));
}

/**
 * Reports a part's fall to its last step once, not at every question, and its recovery once.
 */
export class DegradationLog {
  private degraded = false;

  constructor(
    private readonly logger: RuntimeLogger,
    private readonly what: string,
    private readonly consequence: string,
  ) {}

  failed(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    const what = isStepUnavailable(error) ? 'has no model it can run here' : 'failed';
    this.logger.warn(`${this.what} ${what} (${describeError(error)}); ${this.consequence}`);
  }

  fellBack(detail: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(`${this.what} ${detail}; ${this.consequence}`);
  }

  recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info(`${this.what} works again`);
  }
}

/** What the runtime reads from a Hugging Face warm-up event (the adapter's `HfWarmUpEvent`). */
interface WarmUpEvent {
  type: 'started' | 'ready' | 'failed';
  backend: string;
  modelId: string;
  latencyMs?: number;
  error?: unknown;
  usage?: UsageEvent;
}

/** Logs background warm-ups of cold models and records a finished one's usage, so budgets see it. */
export function warmUpLog(logger: RuntimeLogger, monitor: { record(usage: UsageEvent): unknown }): (event: WarmUpEvent) => void {
  return (event) => {
    const model = `${event.backend} "${event.modelId}"`;
    if (event.type === 'started') logger.info(`Loading the cold model ${model} in the background`);
    else if (event.type === 'ready') logger.info(`The cold model ${model} is loaded (${Math.round(event.latencyMs ?? 0)} ms)`);
    else logger.warn(`Loading the cold model ${model} in the background failed (${event.error instanceof Error ? `${event.error.name}: ${event.error.message}` : String(event.error)})`);
    if (event.usage) monitor.record(event.usage);
  };
}
