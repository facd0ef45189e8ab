import type { UsageEvent } from './usage.js';

/** Who wrote a chat message. */
export type ChatRole = 'system' | 'user' | 'assistant';

/** One message of a conversation. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** Options of one chat call. */
export interface ChatCallOptions {
  /** The conversation; must hold at least one message. */
  messages: ChatMessage[];
  /** Upper bound on generated tokens. @default the backend's default */
  maxTokens?: number;
  /** Sampling temperature; 0 is as deterministic as the backend allows. @default the backend's default */
  temperature?: number;
  /** Stop sequences. */
  stop?: string[];
  /** Seed for backends that support reproducible sampling. */
  seed?: number;
  /**
   * Cancels the call. Aborting rejects with the signal's reason (an `AbortError` DOMException by
   * default); a reason named `TimeoutError` (as from `AbortSignal.timeout`) surfaces as
   * {@link RequestTimeoutError}.
   */
  abortSignal?: AbortSignal;
}

/** Why generation stopped. */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'other';

/** The result of {@link ChatModelV1.generate}. */
export interface ChatResult {
  /** The answer, without the model's reasoning (`<think>` blocks) or end-of-sequence tokens. */
  text: string;
  finishReason: FinishReason;
  usage: UsageEvent;
  /**
   * What a reasoning model wrote before its answer (a `<think>` block, or the provider's
   * `reasoning_content` / `reasoning` field), kept apart from `text` so it is never shown as the
   * answer or cited. Absent when the model sent none. Its tokens count in `usage.outputTokens`.
   */
  reasoning?: string;
}

/** A piece of new text in a stream. */
export interface ChatTextDeltaPart {
  type: 'text-delta';
  delta: string;
}

/** The last part of every successful stream. */
export interface ChatFinishPart {
  type: 'finish';
  finishReason: FinishReason;
  usage: UsageEvent;
  /**
   * The model's whole reasoning (see {@link ChatResult.reasoning}); it never comes in `text-delta`
   * parts. Absent when the model sent none.
   */
  reasoning?: string;
}

/** What {@link ChatModelV1.stream} yields: text deltas, then exactly one finish part. */
export type ChatStreamPart = ChatTextDeltaPart | ChatFinishPart;

/**
 * An answer generator. Implementations do not retry or fall back; wrap them with the
 * resilience package for that.
 */
export interface ChatModelV1 {
  readonly specificationVersion: 'v1';
  /** Backend family, e.g. `hf-inference-providers`, `ollama`, `transformersjs`. */
  readonly backend: string;
  /** The model id as configured. */
  readonly modelId: string;
  /** Generates a whole reply. Rejects with a {@link RagbridgeError} subclass on failure. */
  generate(options: ChatCallOptions): Promise<ChatResult>;
  /**
   * Streams a reply: `text-delta` parts in order, then one `finish` part carrying usage and the
   * finish reason. A stream the backend ends before the model finished (no finish reason and no
   * end-of-stream marker) fails like a cut connection; it never ends with a `finish` part.
   * Failures surface while iterating. Breaking out of the loop releases the
   * connection; aborting ends the iteration with the abort reason.
   */
  stream(options: ChatCallOptions): AsyncIterable<ChatStreamPart>;
}

/** The current chat contract. */
export type ChatModel = ChatModelV1;
