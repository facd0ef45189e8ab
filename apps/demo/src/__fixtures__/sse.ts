/** One parsed server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Parses a complete `text/event-stream` body into events (default event name `message`). */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of body.split(/\r?\n\r?\n/)) {
    if (!frame.trim()) continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** The JSON data of the first event with this name. */
export function eventData<T = Record<string, unknown>>(events: readonly SseEvent[], name: string): T {
  const found = events.find((e) => e.event === name);
  if (!found) throw new Error(`no "${name}" event among ${events.map((e) => e.event).join(', ')}`);
  return JSON.parse(found.data) as T;
}
