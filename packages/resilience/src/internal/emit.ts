import type { ResilienceEvent, ResilienceEventListener } from '../resilience-events.js';

/** Calls `listener` and swallows what it throws: observers must never break calls. */
export function emitEvent(listener: ResilienceEventListener | undefined, event: ResilienceEvent): void {
  if (!listener) return;
  try {
    listener(event);
  } catch {
    // An observer's bug must not turn a served call into a failure.
  }
}
