import {
  BadInputError,
  createUsageEvent,
  estimateTokens,
  InvalidResponseError,
  throwIfAborted,
  type CallTarget,
  type EmbedderIdentity,
  type EmbedOptions,
  type EmbedResult,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import type { HfHosts } from './hf-hosts.js';
import type { HfToken } from './secrets.js';
import { cutToJsonBytes, jsonBytes, planRequests, runInOrder, type RequestLimits } from './batching.js';
import { normalizeVector } from './vectors.js';

/** The limits of the next call and the body every request shares. */
export interface CallPlan extends RequestLimits {
  /** The model's input window in tokens, when known (longer texts cost no more than this). */
  maxInputTokens?: number;
  /** The request body without the texts, to size requests. */
  baseBody: Record<string, unknown>;
  /** The token and hosts read for this call, for the parts that go through the Hugging Face client. */
  hf?: { token: HfToken; hosts: HfHosts };
}

/** One request's answer. */
export interface BatchAnswer<T> {
  values: T[];
  /** Tokens the server counted (TEI `x-compute-tokens`), when it said. */
  tokens?: number;
  requestId?: string;
}

/** Reads a token count header such as TEI's `x-compute-tokens`. */
export function headerTokens(headers: Headers): number | undefined {
  const value = headers.get('x-compute-tokens');
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** Rejects an empty text with {@link BadInputError} naming its index. */
export function rejectEmptyTexts(texts: readonly string[], target: CallTarget, what = 'Text'): void {
  const empty = texts.findIndex((t) => typeof t !== 'string' || t.length === 0);
  if (empty >= 0) {
    throw new BadInputError({ ...target, message: `${what} ${empty} (texts[${empty}]) is empty; every text must hold at least one character` });
  }
}

/** Texts whose JSON does not fit one request are cut to fit (when truncating) or rejected. */
export function fitTexts(texts: string[], room: number, truncate: boolean, keep: 'start' | 'end', target: CallTarget): string[] {
  return texts.map((text, index) => {
    if (jsonBytes(text) <= room) return text;
    if (!truncate) {
      throw new BadInputError({
        ...target,
        message: `Text ${index} is larger than the server accepts in one request (${jsonBytes(text)} bytes of JSON, limit ${room})`,
        hint: 'Split the text into smaller chunks, or leave truncation on.',
      });
    }
    // Far longer than any model window: what is cut would have been truncated by the server anyway.
    return cutToJsonBytes(text, room, keep);
  });
}

/** What {@link runBatchedCall} needs from a backend. */
export interface BatchedCall<T> {
  target: CallTarget;
  /** Texts as they are sent (prefixes applied, fitted to the payload limit). */
  texts: string[];
  plan: CallPlan;
  /** Estimated tokens a text adds to a request (before capping at the input window). */
  tokensOf: (text: string) => number;
  /** Bytes a text adds to a request body beyond its own JSON string. @default 0 */
  overheadBytes?: number;
  concurrency: number;
  signal: AbortSignal | undefined;
  send: (texts: string[], signal: AbortSignal) => Promise<BatchAnswer<T>>;
}

/** Results in input order plus what usage needs. */
export interface BatchedResult<T> {
  values: T[];
  /** Server-counted tokens when every request reported them. */
  serverTokens?: number;
  requestId?: string;
}

/**
 * Splits texts into requests within the plan's limits, sends them with bounded concurrency, and
 * puts the answers back in input order.
 */
export async function runBatchedCall<T>(call: BatchedCall<T>): Promise<BatchedResult<T>> {
  const { plan } = call;
  const cap = plan.maxInputTokens ?? Infinity;
  const overhead = call.overheadBytes ?? 0;
  const costs = call.texts.map((text) => ({ tokens: Math.min(call.tokensOf(text), cap), bytes: jsonBytes(text) + overhead }));
  const groups = planRequests(costs, plan, jsonBytes(plan.baseBody));
  const answers = await runInOrder(groups, call.concurrency, call.signal, async ([start, end], signal) => {
    const answer = await call.send(call.texts.slice(start, end), signal);
    if (answer.values.length !== end - start) {
      throw new InvalidResponseError({
        ...call.target,
        message: `The server answered ${answer.values.length} results for ${end - start} texts`,
      });
    }
    return answer;
  });
  const values = answers.flatMap((a) => a.values);
  const counted = answers.every((a) => a.tokens !== undefined);
  const requestId = answers.find((a) => a.requestId)?.requestId;
  return {
    values,
    ...(counted && { serverTokens: answers.reduce((n, a) => n + (a.tokens ?? 0), 0) }),
    ...(requestId && { requestId }),
  };
}

/** The identity-driven parts every embedder shares. */
export interface EmbedderCore {
  target: CallTarget;
  identity: EmbedderIdentity;
  /** Called before any request; may read server limits and verify the identity. */
  prepare: (signal: AbortSignal | undefined) => Promise<CallPlan>;
  truncate: boolean;
  keep: 'start' | 'end';
  concurrency: number;
  /** Sends one request of already-prefixed texts; returns raw vectors in order. */
  send: (texts: string[], plan: CallPlan, signal: AbortSignal) => Promise<BatchAnswer<number[]>>;
  /** Vector size, when known; set from the first answer otherwise. */
  dimensions: number | undefined;
  /** Provider to put in usage events. */
  usageProvider?: string;
}

/** Implements {@link EmbedderV1.embed} on top of {@link EmbedderCore}. */
export async function embedTexts(core: EmbedderCore, call: EmbedOptions): Promise<EmbedResult> {
  const { target, identity } = core;
  throwIfAborted(call.abortSignal, target);
  const startedAt = Date.now();
  const began = performance.now();
  const usage = (inputTokens: number, extra: Partial<UsageEvent>): UsageEvent =>
    createUsageEvent({
      backend: target.backend,
      modelId: target.modelId ?? identity.modelId,
      operation: 'embed',
      inputTokens,
      items: call.texts.length,
      startedAt,
      latencyMs: Math.round(performance.now() - began),
      ...(core.usageProvider && { provider: core.usageProvider }),
      ...extra,
    });
  if (call.texts.length === 0) return { embeddings: [], usage: usage(0, {}) };
  rejectEmptyTexts(call.texts, target);
  const prefix = (call.inputType === 'query' ? identity.queryPrefix : identity.documentPrefix) ?? '';
  const plan = await core.prepare(call.abortSignal);
  const room = plan.maxBytes - jsonBytes(plan.baseBody) - 2;
  const texts = fitTexts(
    call.texts.map((t) => prefix + t),
    room,
    core.truncate,
    core.keep,
    target,
  );
  const result = await runBatchedCall({
    target,
    texts,
    plan,
    tokensOf: estimateTokens,
    concurrency: core.concurrency,
    signal: call.abortSignal,
    send: (batch, signal) => core.send(batch, plan, signal),
  });
  const width = core.dimensions ?? result.values[0]?.length;
  const wrong = result.values.findIndex((v) => v.length !== width);
  if (wrong >= 0) {
    throw new InvalidResponseError({
      ...target,
      message: `Vector ${wrong} has ${result.values[wrong]?.length} dimensions, expected ${width}`,
      hint: 'Check that the server runs the configured model.',
    });
  }
  core.dimensions = width;
  const embeddings = identity.normalized ? result.values.map(normalizeVector) : result.values;
  const estimated = result.serverTokens === undefined;
  const inputTokens = result.serverTokens ?? texts.reduce((n, t) => n + Math.min(estimateTokens(t), plan.maxInputTokens ?? Infinity), 0);
  return {
    embeddings,
    usage: usage(inputTokens, { tokensEstimated: estimated, ...(result.requestId && { requestId: result.requestId }) }),
  };
}
