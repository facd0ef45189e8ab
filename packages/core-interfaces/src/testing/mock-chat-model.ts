import type { ChatCallOptions, ChatMessage, ChatModelV1, ChatResult, ChatStreamPart } from '../chat-model.js';
import { BadInputError } from '../errors.js';
import { errorFromException, throwIfAborted } from '../http-errors.js';
import { createUsageEvent, estimateTokens } from '../usage.js';
import { MockFaults, simulateFault } from './mock-faults.js';
import { composeGroundedReply } from './text-features.js';

/** Options of {@link createMockChatModel}. */
export interface MockChatModelOptions {
  /** @default 'mock-chat' */
  modelId?: string;
  /** @default 'mock' */
  backend?: string;
  /** Produces the reply. @default {@link composeGroundedReply} (quotes the best numbered source) */
  reply?: (messages: readonly ChatMessage[]) => string;
  /** Fault injection shared with a conformance harness. */
  faults?: MockFaults;
}

/** An in-memory chat model with the call log tests read. */
export interface MockChatModel extends ChatModelV1 {
  /** The messages of every call, in order. */
  readonly calls: ChatMessage[][];
  readonly faults: MockFaults;
}

function splitDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/gu) ?? [];
}

/**
 * An in-memory {@link ChatModelV1} that answers deterministically from the prompt's numbered
 * sources. It keeps every promise of the contract and is checked by the same conformance suite.
 */
export function createMockChatModel(options: MockChatModelOptions = {}): MockChatModel {
  const modelId = options.modelId ?? 'mock-chat';
  const backend = options.backend ?? 'mock';
  const reply = options.reply ?? composeGroundedReply;
  const faults = options.faults ?? new MockFaults();
  const calls: ChatMessage[][] = [];
  const target = { backend, modelId, endpoint: 'memory://chat' };

  async function start(call: ChatCallOptions, streaming: boolean): Promise<{ text: string; inputTokens: number; startedAt: number }> {
    throwIfAborted(call.abortSignal, target);
    if (!Array.isArray(call.messages) || call.messages.length === 0) {
      throw new BadInputError({ ...target, message: 'messages must hold at least one message' });
    }
    calls.push(call.messages.map((m) => ({ ...m })));
    const startedAt = Date.now();
    await simulateFault(faults, target, call.abortSignal, streaming);
    let text = reply(call.messages);
    if (call.maxTokens !== undefined) text = splitDeltas(text).slice(0, Math.max(1, call.maxTokens)).join('');
    const inputTokens = call.messages.reduce((n, m) => n + estimateTokens(m.content), 0);
    return { text, inputTokens, startedAt };
  }

  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    calls,
    faults,
    async generate(call): Promise<ChatResult> {
      const { text, inputTokens, startedAt } = await start(call, false);
      return {
        text,
        finishReason: 'stop',
        usage: createUsageEvent({
          backend,
          modelId,
          operation: 'chat',
          inputTokens,
          outputTokens: splitDeltas(text).length,
          startedAt,
          latencyMs: Date.now() - startedAt,
        }),
      };
    },
    stream(call): AsyncIterable<ChatStreamPart> {
      return {
        async *[Symbol.asyncIterator]() {
          const { text, inputTokens, startedAt } = await start(call, true);
          const deltas = splitDeltas(text);
          let sent = 0;
          for (const delta of deltas) {
            // Yield to the event loop between deltas, as a network stream would.
            await new Promise((resolve) => setImmediate(resolve));
            throwIfAborted(call.abortSignal, target);
            if (faults.active === 'drop-mid-stream' && sent === 2) {
              throw errorFromException(Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } }), target);
            }
            sent++;
            yield { type: 'text-delta', delta };
          }
          yield {
            type: 'finish',
            finishReason: 'stop',
            usage: createUsageEvent({
              backend,
              modelId,
              operation: 'chat',
              streamed: true,
              inputTokens,
              outputTokens: deltas.length,
              startedAt,
              latencyMs: Date.now() - startedAt,
            }),
          };
        },
      };
    },
  };
}
