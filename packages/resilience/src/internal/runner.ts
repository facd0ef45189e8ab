import {
  delegateEmbedder,
  delegateReranker,
  type CallTarget,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatStreamPart,
  type EmbedderV1,
  type RerankerV1,
} from '@ragbridge/core-interfaces';

/** Any model contract the wrappers accept. */
export type AnyModel = ChatModelV1 | EmbedderV1 | RerankerV1;

/** The contract type a wrapper returns for a model: the same contract, without extra fields. */
export type ContractOf<M extends AnyModel> = M extends ChatModelV1 ? ChatModelV1 : M extends EmbedderV1 ? EmbedderV1 : RerankerV1;

/** One try of a call, given the signal it must honour. */
export type Attempt<T> = (signal: AbortSignal | undefined) => Promise<T>;

/**
 * A chat stream whose first meaningful part has been read (so a failure before any text is
 * known before the caller sees anything). `first` is undefined when the stream ended empty.
 */
export interface PartStream {
  readonly first: ChatStreamPart | undefined;
  /** The parts after `first`. */
  next(): Promise<IteratorResult<ChatStreamPart, unknown>>;
  /** Stops early (the consumer broke out of its loop). */
  close(): Promise<void>;
}

/**
 * One resilience layer, or a stack of them. `unary` runs a one-shot call (generate, embed,
 * rerank); `open` runs the opening of a stream, which resolves once the first part is there.
 */
export interface Runner {
  unary<T>(attempt: Attempt<T>, signal: AbortSignal | undefined): Promise<T>;
  open(attempt: Attempt<PartStream>, signal: AbortSignal | undefined): Promise<PartStream>;
}

/** The runner that calls straight through. */
export const directRunner: Runner = {
  unary: (attempt, signal) => attempt(signal),
  open: (attempt, signal) => attempt(signal),
};

/** A layer turns the runner inside it into a runner that adds one behaviour. */
export type Layer = (inner: Runner) => Runner;

/** Stacks layers; the first is outermost. */
export function stackLayers(layers: readonly Layer[]): Runner {
  let runner = directRunner;
  for (let i = layers.length - 1; i >= 0; i--) runner = (layers[i] as Layer)(runner);
  return runner;
}

/** Reads a stream until its first non-empty text delta or its finish part. */
export async function openPartStream(iterable: AsyncIterable<ChatStreamPart>): Promise<PartStream> {
  const iterator = iterable[Symbol.asyncIterator]();
  let first: ChatStreamPart | undefined;
  for (;;) {
    const result = await iterator.next();
    if (result.done) break;
    // An empty delta delivers nothing, so the stream is not committed to this model yet.
    if (result.value.type === 'text-delta' && result.value.delta === '') continue;
    first = result.value;
    break;
  }
  return {
    first,
    next: () => (first === undefined ? Promise.resolve({ done: true, value: undefined }) : iterator.next()),
    async close() {
      await iterator.return?.();
    },
  };
}

/** How a stream ended, for layers that hold something (a permit, a slot) for its lifetime. */
export type StreamOutcome = { kind: 'done' } | { kind: 'closed' } | { kind: 'error'; error: unknown };

/** Calls `onEnd` exactly once, when `stream` finishes, fails or is closed. */
export function observeStream(stream: PartStream, onEnd: (outcome: StreamOutcome) => void): PartStream {
  let ended = false;
  const end = (outcome: StreamOutcome): void => {
    if (ended) return;
    ended = true;
    onEnd(outcome);
  };
  if (stream.first === undefined) end({ kind: 'done' });
  return {
    first: stream.first,
    async next() {
      try {
        const result = await stream.next();
        if (result.done) end({ kind: 'done' });
        return result;
      } catch (error) {
        end({ kind: 'error', error });
        throw error;
      }
    },
    async close() {
      end({ kind: 'closed' });
      await stream.close();
    },
  };
}

/** Turns an opened stream back into the `AsyncIterable` the contract promises. */
export async function* iteratePartStream(
  open: () => Promise<PartStream>,
  map: (part: ChatStreamPart) => ChatStreamPart = (part) => part,
  onError?: (error: unknown, delivered: { deltas: number; chars: number }) => void,
): AsyncGenerator<ChatStreamPart> {
  const stream = await open();
  let finished = false;
  const delivered = { deltas: 0, chars: 0 };
  try {
    if (stream.first === undefined) {
      finished = true;
      return;
    }
    let part: ChatStreamPart = stream.first;
    for (;;) {
      if (part.type === 'text-delta') {
        delivered.deltas++;
        delivered.chars += part.delta.length;
      }
      yield map(part);
      let result: IteratorResult<ChatStreamPart, unknown>;
      try {
        result = await stream.next();
      } catch (error) {
        finished = true;
        onError?.(error, delivered);
        throw error;
      }
      if (result.done) {
        finished = true;
        return;
      }
      part = result.value;
    }
  } finally {
    if (!finished) await stream.close();
  }
}

/** Where a model's calls go, for the errors the wrappers create. */
export function targetOf(model: AnyModel): CallTarget {
  return { backend: model.backend, modelId: model.modelId };
}

/** The key a model's breaker and events use by default. */
export function modelKey(model: AnyModel): string {
  return `${model.backend}:${model.modelId}`;
}

function isChatModel(model: AnyModel): model is ChatModelV1 {
  return typeof (model as ChatModelV1).generate === 'function' && typeof (model as ChatModelV1).stream === 'function';
}

function isEmbedder(model: AnyModel): model is EmbedderV1 {
  return typeof (model as EmbedderV1).embed === 'function';
}

/** Builds a model of the same contract as `model` whose every call goes through `runner`. */
export function wrapModel<M extends AnyModel>(model: M, runner: Runner): ContractOf<M> {
  if (isChatModel(model)) {
    const wrapped: ChatModelV1 = {
      specificationVersion: 'v1',
      backend: model.backend,
      modelId: model.modelId,
      generate: (call: ChatCallOptions) => runner.unary((signal) => model.generate(withSignal(call, signal)), call.abortSignal),
      stream: (call: ChatCallOptions) =>
        iteratePartStream(() => runner.open((signal) => openPartStream(model.stream(withSignal(call, signal))), call.abortSignal)),
    };
    return wrapped as ContractOf<M>;
  }
  if (isEmbedder(model)) {
    // Identity, dimensions and batch limit stay live: an adapter may learn them from the server later.
    return delegateEmbedder(model, (call) => runner.unary((signal) => model.embed(withSignal(call, signal)), call.abortSignal)) as ContractOf<M>;
  }
  const reranker = model as RerankerV1;
  return delegateReranker(reranker, (call) => runner.unary((signal) => reranker.rerank(withSignal(call, signal)), call.abortSignal)) as ContractOf<M>;
}

/** The call with `signal` as its abort signal (dropped when undefined). */
export function withSignal<C extends { abortSignal?: AbortSignal }>(call: C, signal: AbortSignal | undefined): C {
  const { abortSignal: _ignored, ...rest } = call;
  return (signal ? { ...rest, abortSignal: signal } : rest) as C;
}
