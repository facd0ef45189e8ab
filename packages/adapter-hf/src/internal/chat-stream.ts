import { BackendUnreachableError, throwIfAborted, type CallTarget, type ChatStreamPart, type FinishReason, type UsageEvent } from '@ragbridge/core-interfaces';
import { finishReasonOf } from './chat-finish-reasons.js';
import { ReplySplitter } from './chat-reply.js';
import { chatChunkSchema, invalidChatResponse, reasoningField, type ReportedUsage } from './chat-wire.js';
import type { ResponseMeta } from './http.js';

/** What reading one chat stream needs from the chat model. */
export interface ChatStreamSource {
  target: CallTarget;
  /** Model whose reasoning format applies (see {@link ReplySplitter}). */
  templateModel: string;
  /** The chunks `@huggingface/inference` parsed from the event stream. */
  chunks: AsyncIterator<unknown>;
  /** The caller's signal: nothing is yielded after it aborted. */
  abortSignal: AbortSignal | undefined;
  /** Maps what the client threw to the typed error family. */
  mapError: (error: unknown) => unknown;
  /** Whether the event stream carried its `data: [DONE]` line. */
  terminated: () => boolean;
  /** The successful response's URL and headers, once known. */
  meta: () => ResponseMeta | undefined;
  /** The usage event for the answer, its reasoning, and the usage the server reported. */
  usage: (text: string, reasoning: string, reported: ReportedUsage) => UsageEvent;
}

/**
 * Turns OpenAI-style stream chunks into the contract's parts: answer deltas (reasoning and
 * end-of-sequence tokens held out), then one `finish` part with the finish reason, usage and
 * reasoning. A stream that ends with no finish reason and no `[DONE]` was cut: it fails like a
 * cut connection instead of finishing.
 */
export async function* readChatStream(source: ChatStreamSource): AsyncGenerator<ChatStreamPart> {
  const { target } = source;
  const reply = new ReplySplitter(source.templateModel);
  let text = '';
  let finishReason: FinishReason | undefined;
  let reported: ReportedUsage;
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await source.chunks.next();
    } catch (error) {
      throw source.mapError(error);
    }
    // The client may hand over chunks it had already buffered: nothing after an abort.
    throwIfAborted(source.abortSignal, target);
    if (next.done) break;
    const chunk = chatChunkSchema.safeParse(next.value);
    if (!chunk.success) throw invalidChatResponse(target, next.value, chunk.error, source.meta(), 'stream chunk');
    if (chunk.data.usage) reported = chunk.data.usage;
    const choice = chunk.data.choices?.[0];
    finishReason = finishReasonOf(choice?.finish_reason) ?? finishReason;
    const thought = reasoningField(choice?.delta);
    if (thought) reply.addReasoning(thought);
    const content = choice?.delta?.content;
    const piece = content ? reply.push(content) : undefined;
    if (piece?.text) {
      text += piece.text;
      yield { type: 'text-delta', delta: piece.text };
    }
  }
  if (finishReason === undefined && !source.terminated()) {
    const meta = source.meta();
    throw new BackendUnreachableError({
      ...target,
      ...(meta && { endpoint: meta.url }),
      message: 'The stream ended before the model finished: no finish reason and no [DONE] (the connection was cut after its last complete event)',
      hint: 'Retry; the resilience layer does so, or falls back, while no text has been shown.',
    });
  }
  const last = reply.end();
  if (last.text) {
    text += last.text;
    yield { type: 'text-delta', delta: last.text };
  }
  yield {
    type: 'finish',
    finishReason: finishReason ?? 'other',
    usage: source.usage(text, reply.reasoning, reported),
    ...(reply.reasoning && { reasoning: reply.reasoning }),
  };
}
