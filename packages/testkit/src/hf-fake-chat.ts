import type { FakeContext } from './fake-server.js';

/**
 * How a fake chat model answers where real providers differ (each from their public wire
 * formats): finish-reason spellings, reasoning in the text or in a field, a leftover
 * end-of-sequence token, missing usage, a stream without `data: [DONE]` or cut in its last event.
 */
export interface FakeHfChatBehaviour {
  /** `finish_reason` of an answer that ended by itself, e.g. `eos` (TGI), `end_turn`, `eos_token`. @default 'stop' */
  stopReason?: string;
  /** `finish_reason` of an answer cut by `max_tokens`, e.g. `max_tokens`. @default 'length' */
  lengthReason?: string;
  /**
   * Reasoning before the answer: `think-tags` writes `<think>…</think>` into the content
   * (DeepSeek-R1 on most providers); `think-close-only` writes only `…</think>` (the template
   * opened the block in the prompt); `reasoning_content` / `reasoning` send it in that field.
   */
  reasoning?: 'think-tags' | 'think-close-only' | 'reasoning_content' | 'reasoning';
  /** An end-of-sequence token left at the end of the content, e.g. `</s>` (TGI) or `<|eot_id|>`. */
  eosToken?: string;
  /** Send `"usage": null` and no usage chunk (TGI). */
  noUsage?: boolean;
  /** Stream content in pieces of this many characters (so tags and tokens are split across events). @default one word per event */
  chunkChars?: number;
  /** End the stream without `data: [DONE]` (old TGI): the connection just closes. */
  noDone?: boolean;
  /** Cut the stream inside its last event (the one with the finish reason), with no `[DONE]`. */
  cutLastEvent?: boolean;
}

/** The reasoning a fake reasoning model writes before its answer. */
export const FAKE_REASONING = 'The user asks about the sources. Source [1] answers it, so I quote it.';

/** The content and reasoning field of a reply, as a model with `behaviour` writes them. */
export function fakeReplyParts(answer: string, behaviour: FakeHfChatBehaviour | undefined): { content: string; reasoningField?: { name: 'reasoning_content' | 'reasoning'; text: string } } {
  const eos = behaviour?.eosToken ?? '';
  switch (behaviour?.reasoning) {
    case 'think-tags':
      return { content: `<think>\n${FAKE_REASONING}\n</think>\n\n${answer}${eos}` };
    case 'think-close-only':
      return { content: `${FAKE_REASONING}\n</think>\n\n${answer}${eos}` };
    case 'reasoning_content':
    case 'reasoning':
      return { content: answer + eos, reasoningField: { name: behaviour.reasoning, text: FAKE_REASONING } };
    default:
      return { content: answer + eos };
  }
}

/** Cuts a text into stream deltas: one word per event, or `chunkChars` characters. */
export function fakeDeltas(text: string, behaviour: FakeHfChatBehaviour | undefined, words: (text: string) => string[]): string[] {
  const size = behaviour?.chunkChars;
  if (!size) return words(text);
  const pieces: string[] = [];
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}

/**
 * Writes SSE `events` as real servers do, honouring `noDone` (close without `[DONE]`) and
 * `cutLastEvent` (the last event is sent half-way, without its line end, and the connection
 * closes cleanly). Falls back to `ctx.sse` otherwise, so faults such as `dropAfterEvents` apply.
 */
export async function writeFakeChatStream(ctx: FakeContext, events: string[], behaviour: FakeHfChatBehaviour | undefined, headers: Record<string, string>): Promise<void> {
  if (!behaviour?.noDone && !behaviour?.cutLastEvent) return ctx.sse([...events, '[DONE]'], headers);
  if (!behaviour.cutLastEvent) return ctx.sse(events, headers);
  const last = events.at(-1) ?? '';
  ctx.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  for (const event of events.slice(0, -1)) ctx.res.write(`data: ${event}\n\n`);
  ctx.res.end(`data: ${last.slice(0, Math.floor(last.length / 2))}`);
}
