import {
  BadInputError,
  createUsageEvent,
  estimateTokens,
  InvalidResponseError,
  throwIfAborted,
  type CallTarget,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
  type FinishReason,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import type { ChatRequest, Options } from 'ollama';
import { z } from 'zod';
import { connectionShape, keepAliveSchema, parseOptions, type OptionsShape } from './internal/ollama-options.js';
import { ollamaChatChunkSchema, type OllamaChatChunk } from './internal/ollama-schemas.js';
import { OLLAMA_BACKEND, openOllamaCall, type OllamaCall } from './internal/ollama-transport.js';
import type { OllamaConnectionOptions } from './ollama-connection.js';

/** Options of {@link createOllamaChatModel}. */
export interface OllamaChatModelOptions extends OllamaConnectionOptions {
  /** Model name with tag as `ollama list` shows it, e.g. `llama3.2:3b` (no tag means `:latest`). */
  model: string;
  /** How long Ollama keeps the model loaded after a call (`keep_alive`): seconds (negative = forever) or `"5m"`, `"1h"`, `"0"`. @default the server's (5m) */
  keepAlive?: number | string;
  /** Context window in tokens (`options.num_ctx`); Ollama silently drops the oldest messages of longer prompts. @default the model's Modelfile (often 2048–8192) */
  numCtx?: number;
  /** Default sampling temperature; a call's `temperature` wins. @default the model's */
  temperature?: number;
  /** Default upper bound on generated tokens (`options.num_predict`); a call's `maxTokens` wins. @default unlimited */
  maxTokens?: number;
  /** Nucleus sampling (`options.top_p`). @default the model's */
  topP?: number;
  /** Top-k sampling (`options.top_k`). @default the model's */
  topK?: number;
  /** Default seed (`options.seed`); a call's `seed` wins. */
  seed?: number;
  /**
   * For thinking models (qwen3, deepseek-r1, …): `false` asks for the answer only, `true` lets the
   * model think first. Thinking text is never part of the reply. @default not sent (the server decides)
   */
  think?: boolean;
  /** Further Modelfile parameters sent in `options` (e.g. `repeat_penalty`, `num_gpu`); the fields above win. */
  options?: Record<string, unknown>;
}

const chatModelOptionsShape = {
  model: z.string().trim().min(1),
  ...connectionShape,
  keepAlive: keepAliveSchema.optional(),
  numCtx: z.number().int().positive().optional(),
  temperature: z.number().min(0).optional(),
  maxTokens: z.number().int().positive().optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  think: z.boolean().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
} satisfies OptionsShape<OllamaChatModelOptions>;
const chatModelOptionsSchema: z.ZodType<OllamaChatModelOptions, OllamaChatModelOptions> = z.strictObject(chatModelOptionsShape);

/**
 * The options a configuration step of {@link createOllamaChatModel} may set (`models.answer.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `host` and `fetch`, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const ollamaChatStepOptionsSchema = z.strictObject(chatModelOptionsShape).omit({ model: true, host: true, fetch: true });

/** Options of an `ollama` answer step in configuration. */
export type OllamaChatStepOptions = z.input<typeof ollamaChatStepOptionsSchema>;

/** An Ollama chat model (`POST /api/chat`). */
export interface OllamaChatModel extends ChatModelV1 {
  readonly backend: 'ollama';
}

function finishReason(doneReason: string | null | undefined): FinishReason {
  if (doneReason === 'stop') return 'stop';
  if (doneReason === 'length') return 'length';
  return 'other';
}

/**
 * Creates a {@link ChatModelV1} on a local (or remote) Ollama server's `/api/chat`.
 *
 * `generate()` sends `stream: false` and `stream()` sends `stream: true` (the `ollama` client
 * sends `stream: false` unless told otherwise). Both honour the call's `AbortSignal`: the adapter
 * hands it to every request through the client's `fetch`, because the client itself can only
 * abort streams. Usage comes from `prompt_eval_count` / `eval_count` (estimated from the text,
 * and marked so, when Ollama omits them, e.g. for a fully cached prompt). No retries, no fallback.
 *
 * @example
 * const model = createOllamaChatModel({ model: 'llama3.2:3b', numCtx: 8192 });
 * const { text } = await model.generate({ messages: [{ role: 'user', content: 'Hi' }] });
 */
export function createOllamaChatModel(options: OllamaChatModelOptions): OllamaChatModel {
  const config = parseOptions(chatModelOptionsSchema, options, 'createOllamaChatModel');
  const modelId = config.model;
  const baseTarget: CallTarget = { backend: OLLAMA_BACKEND, modelId };

  function validate(call: ChatCallOptions): void {
    throwIfAborted(call.abortSignal, baseTarget);
    if (!Array.isArray(call.messages) || call.messages.length === 0) {
      // Ollama would answer messages:[] by loading the model and replying with nothing.
      throw new BadInputError({ ...baseTarget, message: 'messages must hold at least one message' });
    }
    for (const [i, message] of call.messages.entries()) {
      if (typeof message?.content !== 'string' || !['system', 'user', 'assistant'].includes(message.role)) {
        throw new BadInputError({ ...baseTarget, message: `messages[${i}] needs a role of system, user or assistant and a string content` });
      }
    }
    // Ollama reads num_predict -1 as "no limit" and negative temperatures as greedy: refuse, do not guess.
    if (call.maxTokens !== undefined && !(Number.isInteger(call.maxTokens) && call.maxTokens > 0)) {
      throw new BadInputError({ ...baseTarget, message: `maxTokens must be a positive integer, got ${call.maxTokens}` });
    }
    if (call.temperature !== undefined && !(call.temperature >= 0)) {
      throw new BadInputError({ ...baseTarget, message: `temperature must be 0 or more, got ${call.temperature}` });
    }
  }

  function request(call: ChatCallOptions, stream: boolean): ChatRequest & { stream: boolean } {
    const modelOptions: Record<string, unknown> = { ...config.options };
    const set = (key: string, value: unknown): void => {
      if (value !== undefined) modelOptions[key] = value;
    };
    set('num_ctx', config.numCtx);
    set('top_p', config.topP);
    set('top_k', config.topK);
    set('temperature', call.temperature ?? config.temperature);
    set('num_predict', call.maxTokens ?? config.maxTokens);
    set('seed', call.seed ?? config.seed);
    if (call.stop !== undefined && call.stop.length > 0) modelOptions.stop = call.stop;
    return {
      model: modelId,
      messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
      stream,
      ...(config.keepAlive !== undefined && { keep_alive: config.keepAlive }),
      ...(config.think !== undefined && { think: config.think }),
      ...(Object.keys(modelOptions).length > 0 && { options: modelOptions as Partial<Options> }),
    };
  }

  function parseChunk(value: unknown, target: CallTarget): OllamaChatChunk {
    const parsed = ollamaChatChunkSchema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidResponseError({
        ...target,
        responseBody: JSON.stringify(value),
        message: `Unexpected /api/chat reply: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
      });
    }
    return parsed.data;
  }

  function usage(call: ChatCallOptions, final: OllamaChatChunk, text: string, startedAt: number, streamed: boolean): UsageEvent {
    const inputKnown = final.prompt_eval_count !== undefined && final.prompt_eval_count > 0;
    const outputKnown = final.eval_count !== undefined && (final.eval_count > 0 || text === '');
    return createUsageEvent({
      backend: OLLAMA_BACKEND,
      modelId,
      operation: 'chat',
      streamed,
      inputTokens: inputKnown ? (final.prompt_eval_count as number) : call.messages.reduce((n, m) => n + estimateTokens(m.content), 0),
      outputTokens: outputKnown ? (final.eval_count as number) : estimateTokens(text),
      tokensEstimated: !inputKnown || !outputKnown,
      startedAt,
      latencyMs: Date.now() - startedAt,
    });
  }

  const open = (call: ChatCallOptions, observeStream: boolean): OllamaCall =>
    openOllamaCall(config, { modelId, path: '/api/chat', signal: call.abortSignal, observeStream });

  return {
    specificationVersion: 'v1',
    backend: OLLAMA_BACKEND,
    modelId,

    async generate(call: ChatCallOptions): Promise<ChatResult> {
      validate(call);
      const ollama = open(call, false);
      const startedAt = Date.now();
      let raw: unknown;
      try {
        raw = await ollama.client.chat({ ...request(call, false), stream: false });
      } catch (error) {
        throw ollama.mapError(error);
      }
      throwIfAborted(call.abortSignal, ollama.target);
      const reply = parseChunk(raw, ollama.target);
      const text = reply.message?.content ?? '';
      return { text, finishReason: finishReason(reply.done_reason), usage: usage(call, reply, text, startedAt, false) };
    },

    stream(call: ChatCallOptions): AsyncIterable<ChatStreamPart> {
      return {
        async *[Symbol.asyncIterator](): AsyncGenerator<ChatStreamPart, void, undefined> {
          validate(call);
          const ollama = open(call, true);
          const startedAt = Date.now();
          const signal = call.abortSignal;
          let stream;
          try {
            stream = await ollama.client.chat({ ...request(call, true), stream: true });
          } catch (error) {
            throw ollama.mapError(error);
          }
          let complete = false;
          try {
            let text = '';
            let final: OllamaChatChunk | undefined;
            for await (const raw of stream) {
              // A line already buffered by the client must not be yielded after the caller aborted.
              throwIfAborted(signal, ollama.target);
              const chunk = parseChunk(raw, ollama.target);
              const delta = chunk.message?.content ?? '';
              if (delta !== '') {
                text += delta;
                yield { type: 'text-delta', delta };
                throwIfAborted(signal, ollama.target);
              }
              if (chunk.done) {
                final = chunk;
                break;
              }
            }
            if (!final) throw new Error('Did not receive done or success response in stream.');
            complete = true;
            yield { type: 'finish', finishReason: finishReason(final.done_reason), usage: usage(call, final, text, startedAt, true) };
          } catch (error) {
            throw ollama.mapError(error);
          } finally {
            // Breaking out of the loop, an abort or a failure: close the connection.
            if (!complete) stream.abort();
          }
        },
      };
    },
  };
}
