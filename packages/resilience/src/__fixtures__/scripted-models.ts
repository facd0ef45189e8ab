import {
  createUsageEvent,
  errorFromException,
  errorFromHttpResponse,
  type ChatModelV1,
  type ChatStreamPart,
  type EmbedderIdentity,
  type EmbedderV1,
  type RagbridgeError,
  type RerankerV1,
} from '@ragbridge/core-interfaces';
import type { Clock } from '../clock.js';

/** What one call of a scripted model does. */
export type Behaviour =
  /** Answers after `latencyMs` of clock time. */
  | { kind: 'ok'; latencyMs?: number }
  /** Fails with `error()` after `latencyMs`. */
  | { kind: 'fail'; error: () => unknown; latencyMs?: number }
  /** Never answers; ends only when its signal aborts. */
  | { kind: 'hang' }
  /** Never answers and ignores its signal (a misbehaving client). */
  | { kind: 'deaf' }
  /** A stream that delivers `deltas` deltas, then fails with `error()`. */
  | { kind: 'fail-after-deltas'; deltas: number; error: () => unknown };

/** A script: behaviours by call number (the last repeats), or a function of the call number. */
export type Script = Behaviour[] | ((call: number) => Behaviour);

/** HTTP-shaped errors, made by the one mapping every adapter uses. */
export const httpErrors = {
  rateLimit: (backend: string, retryAfterS?: number): RagbridgeError =>
    errorFromHttpResponse({
      backend,
      status: 429,
      body: '{"error":"Rate limit reached"}',
      ...(retryAfterS !== undefined && { headers: { 'retry-after': String(retryAfterS) } }),
    }),
  loading: (backend: string, estimatedS: number): RagbridgeError =>
    errorFromHttpResponse({ backend, status: 503, body: JSON.stringify({ error: 'Model is currently loading', estimated_time: estimatedS }) }),
  unavailable: (backend: string): RagbridgeError => errorFromHttpResponse({ backend, status: 503, body: '{"error":"Service Unavailable"}' }),
  server: (backend: string): RagbridgeError => errorFromHttpResponse({ backend, status: 500, body: '{"error":"Internal server error"}' }),
  badInput: (backend: string): RagbridgeError => errorFromHttpResponse({ backend, status: 422, body: '{"error":"Input validation error"}' }),
  auth: (backend: string): RagbridgeError => errorFromHttpResponse({ backend, status: 401, body: '{"error":"Invalid credentials"}' }),
  unreachable: (backend: string): unknown =>
    errorFromException(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), { backend }),
};

interface ScriptedOptions {
  backend?: string;
  modelId?: string;
  clock: Clock;
  script: Script;
  /** Stream deltas (and the generated text, joined). @default ['Hello', ' from', ' <modelId>'] */
  deltas?: string[];
  /** Clock time between stream deltas. @default 10 */
  deltaMs?: number;
}

/** What a scripted model records. */
export interface ScriptLog {
  /** Calls made, in order. */
  calls: number;
  /** The abort signal of each call. */
  signals: Array<AbortSignal | undefined>;
}

function behaviourOf(script: Script, call: number): Behaviour {
  if (typeof script === 'function') return script(call);
  return script[Math.min(call, script.length - 1)] ?? { kind: 'ok' };
}

async function perform(behaviour: Behaviour, clock: Clock, signal: AbortSignal | undefined, target: { backend: string; modelId: string }): Promise<void> {
  const waitFor = async (ms: number): Promise<void> => {
    try {
      await clock.sleep(ms, signal);
    } catch {
      throw errorFromException(signal?.reason, target, signal);
    }
  };
  switch (behaviour.kind) {
    case 'ok':
      await waitFor(behaviour.latencyMs ?? 0);
      return;
    case 'fail':
      await waitFor(behaviour.latencyMs ?? 0);
      throw behaviour.error();
    case 'hang':
      await new Promise<never>((_, reject) => {
        const fail = (): void => reject(errorFromException(signal?.reason, target, signal));
        if (signal?.aborted) fail();
        signal?.addEventListener('abort', fail, { once: true });
      });
      return;
    case 'deaf':
      await new Promise<never>(() => undefined);
      return;
    case 'fail-after-deltas':
      return;
  }
}

/** A chat model whose calls follow a script, with all waiting on `clock`. */
export function createScriptedChatModel(options: ScriptedOptions): ChatModelV1 & { log: ScriptLog } {
  const backend = options.backend ?? 'scripted';
  const modelId = options.modelId ?? 'scripted-chat';
  const target = { backend, modelId };
  const deltas = options.deltas ?? ['Hello', ' from', ` ${modelId}`];
  const deltaMs = options.deltaMs ?? 10;
  const log: ScriptLog = { calls: 0, signals: [] };
  const usage = (startedAt: number, streamed: boolean) =>
    createUsageEvent({ backend, modelId, operation: 'chat', inputTokens: 5, outputTokens: deltas.length, startedAt, latencyMs: options.clock.now() - startedAt, streamed });
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    log,
    async generate(call) {
      const behaviour = behaviourOf(options.script, log.calls);
      log.calls++;
      log.signals.push(call.abortSignal);
      const startedAt = options.clock.now();
      await perform(behaviour, options.clock, call.abortSignal, target);
      return { text: deltas.join(''), finishReason: 'stop', usage: usage(startedAt, false) };
    },
    async *stream(call): AsyncGenerator<ChatStreamPart> {
      const behaviour = behaviourOf(options.script, log.calls);
      log.calls++;
      log.signals.push(call.abortSignal);
      const startedAt = options.clock.now();
      await perform(behaviour, options.clock, call.abortSignal, target);
      for (const [i, delta] of deltas.entries()) {
        if (behaviour.kind === 'fail-after-deltas' && i === behaviour.deltas) throw behaviour.error();
        if (i > 0) {
          try {
            await options.clock.sleep(deltaMs, call.abortSignal);
          } catch {
            throw errorFromException(call.abortSignal?.reason, target, call.abortSignal);
          }
        }
        yield { type: 'text-delta', delta };
      }
      yield { type: 'finish', finishReason: 'stop', usage: usage(startedAt, true) };
    },
  };
}

/** An embedder whose calls follow a script; vectors are a function of the text and `seed`. */
export function createScriptedEmbedder(
  options: Omit<ScriptedOptions, 'deltas' | 'deltaMs'> & { identity?: Partial<EmbedderIdentity>; dimensions?: number; seed?: number },
): EmbedderV1 & { log: ScriptLog } {
  const backend = options.backend ?? 'scripted';
  const modelId = options.modelId ?? 'scripted-embed';
  const dimensions = options.dimensions ?? 4;
  const seed = options.seed ?? 1;
  const log: ScriptLog = { calls: 0, signals: [] };
  const identity: EmbedderIdentity = { provider: backend, modelId, revision: 'v1', pooling: 'mean', normalized: true, ...options.identity };
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    identity,
    dimensions,
    maxBatchSize: 8,
    log,
    async embed(call) {
      const behaviour = behaviourOf(options.script, log.calls);
      log.calls++;
      log.signals.push(call.abortSignal);
      const startedAt = options.clock.now();
      await perform(behaviour, options.clock, call.abortSignal, { backend, modelId });
      return {
        embeddings: call.texts.map((t) => Array.from({ length: dimensions }, (_, i) => ((t.length + i) * seed) % 7)),
        usage: createUsageEvent({ backend, modelId, operation: 'embed', inputTokens: call.texts.length, items: call.texts.length, startedAt, latencyMs: 0 }),
      };
    },
  };
}

/** A reranker whose calls follow a script; every text scores `score`. */
export function createScriptedReranker(options: Omit<ScriptedOptions, 'deltas' | 'deltaMs'> & { score?: number }): RerankerV1 & { log: ScriptLog } {
  const backend = options.backend ?? 'scripted';
  const modelId = options.modelId ?? 'scripted-rerank';
  const log: ScriptLog = { calls: 0, signals: [] };
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    maxBatchSize: 8,
    log,
    async rerank(call) {
      const behaviour = behaviourOf(options.script, log.calls);
      log.calls++;
      log.signals.push(call.abortSignal);
      const startedAt = options.clock.now();
      await perform(behaviour, options.clock, call.abortSignal, { backend, modelId });
      return {
        scores: call.texts.map(() => options.score ?? 0.5),
        usage: createUsageEvent({ backend, modelId, operation: 'rerank', inputTokens: call.texts.length, items: call.texts.length, startedAt, latencyMs: 0 }),
      };
    },
  };
}

/** Reads a whole stream; returns its parts, or the error that ended it with the parts before. */
export async function collectStream(stream: AsyncIterable<ChatStreamPart>): Promise<{ parts: ChatStreamPart[]; error?: unknown }> {
  const parts: ChatStreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts };
  } catch (error) {
    return { parts, error };
  }
}

/** The text of the deltas among `parts`. */
export function streamedText(parts: readonly ChatStreamPart[]): string {
  return parts.map((p) => (p.type === 'text-delta' ? p.delta : '')).join('');
}
