import {
  BadInputError,
  createUsageEvent,
  errorFromException,
  throwIfAborted,
  type ChatCallOptions,
  type ChatMessage,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import { modelHandleFor } from './internal/model-handle.js';
import { PartQueue } from './internal/part-queue.js';
import type { ChatRequest, WorkerResponse } from './internal/protocol.js';
import type { TransformersModelControls } from './transformers-model-info.js';
import {
  parseOptions,
  TRANSFORMERSJS_BACKEND,
  transformersChatModelOptionsSchema,
  type TransformersChatModelOptions,
} from './transformers-options.js';

/** The chat model used when none is configured: SmolLM2-135M-Instruct (ONNX weights in its repository). */
export const DEFAULT_TRANSFORMERS_CHAT_MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct';

/** A {@link ChatModelV1} running a small Transformers.js instruct model in a worker thread. */
export interface TransformersChatModel extends ChatModelV1, TransformersModelControls {}

const ROLES = new Set(['system', 'user', 'assistant']);

type GeneratedMessage = Extract<WorkerResponse, { type: 'generated' }>;

/**
 * Creates a chat model on Transformers.js: the conversation goes through the model's chat
 * template, then a causal language model generates in a worker thread, streaming text as whole
 * words are decoded (`TextStreamer`). `temperature` 0 (or unset, with the model's default of
 * greedy decoding) is deterministic; above 0 it samples, reproducibly when `seed` is set.
 * A prompt longer than the model's context window is rejected with BadInputError rather than cut,
 * since cutting would drop the instructions or the sources.
 */
export function createTransformersChatModel(options: TransformersChatModelOptions = {}): TransformersChatModel {
  const parsed = parseOptions(transformersChatModelOptionsSchema, options, 'createTransformersChatModel');
  const modelId = parsed.model ?? DEFAULT_TRANSFORMERS_CHAT_MODEL;
  const defaultMaxTokens = parsed.maxTokens ?? 256;
  const target = { backend: TRANSFORMERSJS_BACKEND, modelId };
  const handle = modelHandleFor('text-generation', modelId, parsed, 'q4');

  function request(call: ChatCallOptions, stream: boolean): Omit<ChatRequest, 'id' | 'cancel'> {
    if (!Array.isArray(call.messages) || call.messages.length === 0) {
      throw new BadInputError({ ...target, message: 'The conversation is empty; pass at least one message' });
    }
    call.messages.forEach((message: ChatMessage, index) => {
      if (!ROLES.has(message?.role) || typeof message.content !== 'string') {
        throw new BadInputError({ ...target, message: `messages[${index}] needs a role (system, user or assistant) and string content` });
      }
    });
    const maxTokens = call.maxTokens ?? defaultMaxTokens;
    if (!Number.isInteger(maxTokens) || maxTokens <= 0) {
      throw new BadInputError({ ...target, message: `maxTokens must be a positive integer, got ${String(call.maxTokens)}` });
    }
    if (call.temperature !== undefined && !(call.temperature >= 0)) {
      throw new BadInputError({ ...target, message: `temperature must be 0 or more, got ${String(call.temperature)}` });
    }
    return {
      type: 'chat',
      messages: call.messages.map(({ role, content }) => ({ role, content })),
      maxTokens,
      temperature: call.temperature,
      seed: call.seed,
      stop: (call.stop ?? []).filter((s) => s.length > 0),
      stream,
    };
  }

  function usage(result: GeneratedMessage, startedAt: number, streamed: boolean): UsageEvent {
    return createUsageEvent({
      ...target,
      operation: 'chat',
      streamed,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      startedAt,
      latencyMs: Date.now() - startedAt,
    });
  }

  async function run(call: ChatCallOptions, signal: AbortSignal | undefined, onDelta?: (text: string) => void): Promise<GeneratedMessage> {
    // Built first: a malformed call is a BadInputError even when the model is missing.
    const message = request(call, onDelta !== undefined);
    const result = await handle.get().call(message, signal, onDelta);
    if (result.type !== 'generated') throw new Error(`unexpected worker answer ${result.type}`);
    return result;
  }

  async function generate(call: ChatCallOptions): Promise<ChatResult> {
    const startedAt = Date.now();
    const signal = call.abortSignal;
    try {
      throwIfAborted(signal, target);
      const result = await run(call, signal);
      return { text: result.text, finishReason: result.finishReason, usage: usage(result, startedAt, false) };
    } catch (error) {
      throw errorFromException(error, target, signal);
    }
  }

  async function* stream(call: ChatCallOptions): AsyncGenerator<ChatStreamPart, void, undefined> {
    const startedAt = Date.now();
    const callerSignal = call.abortSignal;
    // Our own signal too, so that leaving the loop early cancels the generation in the worker.
    const closer = new AbortController();
    const signal = callerSignal ? AbortSignal.any([callerSignal, closer.signal]) : closer.signal;
    const queue = new PartQueue<ChatStreamPart>();
    try {
      throwIfAborted(callerSignal, target);
      run(call, signal, (delta) => queue.push({ type: 'text-delta', delta })).then(
        (result) => {
          queue.push({ type: 'finish', finishReason: result.finishReason, usage: usage(result, startedAt, true) });
          queue.end();
        },
        (error: unknown) => queue.fail(error),
      );
      for (;;) {
        const part = await queue.next();
        // An abort ends the stream at once, even when parts are already waiting.
        throwIfAborted(callerSignal, target);
        if (part === undefined) return;
        yield part;
      }
    } catch (error) {
      throw errorFromException(error, target, callerSignal);
    } finally {
      if (!queue.settled) closer.abort(new DOMException('The stream was closed before it ended', 'AbortError'));
    }
  }

  return {
    specificationVersion: 'v1',
    backend: TRANSFORMERSJS_BACKEND,
    modelId,
    generate,
    stream,
    ...handle.controls(),
  };
}
