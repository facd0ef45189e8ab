import type { Answer, ChatModelV1, DocumentStore, EmbedderV1, RerankerV1, UsageEvent } from '@ragbridge/core-interfaces';
import { createAnswerer, type AnswerCallOptions, type AnswererOptions, type AnswerStreamPart } from './answer/answerer.js';
import { followUpQuestion, type ConversationTurn } from './answer/follow-up.js';
import type { RefusalPolicy } from './answer/refusal-policy.js';
import type { ChunkerOptions } from './ingest/chunker.js';
import { ingestPaths, type IngestOptions, type IngestReport } from './ingest/ingest.js';
import { askAttributes, addActiveSpanEvent, describeAnswer, describeAskUsage, describeRetrieval, inSpan, inSpanStream, PIPELINE_SPANS } from './internal/pipeline-tracing.js';
import { streamInside } from './internal/stream-inside.js';
import { createRetriever, type RetrievalResult, type RetrieverOptions, type RetrieveOptions } from './retrieval/retriever.js';
import { openSqliteStore } from './store/sqlite-store.js';

/** A model part that can fall back instead of failing (see {@link PipelineOptions.onFallback}). */
export type PipelineFallbackPart = 'chat' | 'query-embedding' | 'chunk-embedding';

/** A part that failed and fell back. */
export interface PipelineFallbackEvent {
  /**
   * `chat`: the chat model failed, the answer is extractive; `query-embedding`: the question could
   * not be embedded, it is retrieved with keywords alone; `chunk-embedding`: the ingested chunks
   * could not be embedded, they stay stored and are found by keywords until they are embedded.
   */
  part: PipelineFallbackPart;
  error: unknown;
}

/** A step the pipeline ran itself, without a model (see {@link PipelineOptions.localStepUsage}). */
export interface PipelineLocalStep {
  /**
   * `extractive`: an extractive answer (there is no chat model, or it failed and
   * `extractiveFallback` is on); `keyword`: a question retrieved with keywords alone because it
   * could not be embedded (`keywordFallback`).
   */
  step: 'extractive' | 'keyword';
  /** When it started (ms since the epoch). */
  startedAt: number;
  /** How long it ran; 0 for `keyword`, whose keyword search runs for every question anyway. */
  latencyMs: number;
}

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** A store, or a SQLite file path for the embedded default. */
  store: DocumentStore | string;
  /** With a file path: rebuild a store written by an older schema instead of refusing it. @default false */
  rebuildOnSchemaChange?: boolean;
  /** Enables dense retrieval (vectors are computed at ingest and kept per model identity). */
  embedder?: EmbedderV1;
  /** Rescores the top candidates. */
  reranker?: RerankerV1;
  /** Writes answers; without it answers are extractive. */
  chatModel?: ChatModelV1;
  retrieval?: Omit<RetrieverOptions, 'store' | 'embedder' | 'reranker' | 'keywordFallback'>;
  /** Hits retrieved per question when a call gives no `k`. @default 10 */
  k?: number;
  /** Chunking of `ingest()` when a call gives none. @default the chunker's defaults */
  chunker?: ChunkerOptions;
  /** Sources per answer. @default 5 */
  sources?: number;
  /** When to refuse instead of answering; overrides fields of the calibrated `DEFAULT_REFUSAL_POLICY`. */
  refusal?: Partial<RefusalPolicy>;
  /** Sentences quoted by an extractive answer. @default 3 */
  extractiveSentences?: number;
  /** Longest answer the chat model may write, in tokens. @default the answerer's (512) */
  maxTokens?: number;
  /**
   * Most tokens (estimated) of the prompt given to the chat model; past it the oldest earlier
   * turns, then the lowest-ranked sources are left out (the best source always stays). @default no limit
   */
  maxContextTokens?: number;
  /**
   * Answer extractively from the same retrieval when the chat model fails, instead of throwing (a
   * caller's abort still throws). A stream falls back only before its first text; after that it
   * ends with the error, so two answers are never spliced. @default false
   */
  extractiveFallback?: boolean;
  /**
   * Retrieve a question with keywords alone when it cannot be embedded, instead of throwing (a
   * caller's abort still throws); the retrieval's `queryEmbedFailure` says so. @default false
   */
  keywordFallback?: boolean;
  /**
   * Have `ingest()` return the failure to embed its chunks as `embedError` instead of throwing. The
   * documents stay stored and are found by keywords until `ingest()` or `indexVectors()` embeds
   * them. @default false
   */
  reportEmbedErrors?: boolean;
  /** Called at each fallback enabled above, so at every question while a part fails (deduplicate to log once). */
  onFallback?: (event: PipelineFallbackEvent) => void;
  /**
   * Called each time a part that can fall back worked: the chat model answered, a question or the
   * ingested chunks were embedded. With `onFallback`, it tells when a failing part recovered.
   */
  onPartWorked?: (part: PipelineFallbackPart) => void;
  /**
   * Runs each question of `ask()` and `askStream()` (retrieval and answer), e.g. inside a usage
   * tracker's query scope. A stream's parts reach the caller while it runs; when the caller stops
   * reading, the question is aborted and awaited. @default runs it directly
   */
  runQuery?: <T>(query: () => Promise<T>) => Promise<T>;
  /**
   * A usage event for a step the pipeline ran in place of a model call, e.g. to account for it like
   * the models' calls. It is added to the answer's usage (`extractive`, last) or the retrieval's
   * (`keyword`, first, where the embedding's would be). @default none
   */
  localStepUsage?: (step: PipelineLocalStep) => UsageEvent | undefined;
}

/** An answer with the retrieval that produced it. */
export interface PipelineAnswer {
  answer: Answer;
  retrieval: RetrievalResult;
  /** Milliseconds: retrieval and answering. */
  ms: { retrieve: number; answer: number };
}

/** Progress of vector indexing. */
export interface EmbedProgress {
  done: number;
  total: number;
}

/** What `ingest()` did, vector indexing included. */
export interface PipelineIngestReport extends IngestReport {
  /** Chunks embedded after the ingest. */
  embedded: number;
  /** Why the chunks could not be embedded (only with `reportEmbedErrors`); `embedded` counts those that were. */
  embedError?: unknown;
}

/** Options of one question: retrieval options plus the conversation it belongs to. */
export interface AskOptions extends RetrieveOptions {
  /** Earlier turns, oldest first: a follow-up is retrieved with the previous question, and a chat model sees the turns. */
  history?: readonly ConversationTurn[];
  /** Longest answer for this question, in tokens (e.g. a client's limit); never more than the pipeline's `maxTokens`. */
  maxTokens?: number;
}

/** Ingest, retrieve and answer over one store. */
export interface Pipeline {
  readonly store: DocumentStore;
  /** Ingests files and folders, then embeds new chunks when an embedder is configured. */
  ingest(paths: readonly string[], options?: Omit<IngestOptions, 'store' | 'workerWritePath'> & { onEmbedProgress?: (p: EmbedProgress) => void }): Promise<PipelineIngestReport>;
  /** Embeds every chunk that has no vector for the configured embedder yet. */
  indexVectors(options?: { batchSize?: number; onProgress?: (p: EmbedProgress) => void; abortSignal?: AbortSignal }): Promise<number>;
  /** Retrieves without answering; `explain` attaches each hit's signal breakdown. */
  retrieve(question: string, options?: RetrieveOptions): Promise<RetrievalResult>;
  /** Answers a question; with `history`, a follow-up is retrieved together with the previous question (see {@link followUpQuestion}). */
  ask(question: string, options?: AskOptions): Promise<PipelineAnswer>;
  askStream(question: string, options?: AskOptions): AsyncIterable<AnswerStreamPart | { type: 'retrieval'; retrieval: RetrievalResult }>;
  close(): Promise<void>;
}

/** Document names a pipeline keeps (cleared past this, and after its own ingest). */
const MAX_KNOWN_NAMES = 10_000;

/** Composes store, retriever and answerer into the question-answering pipeline. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const ownsStore = typeof options.store === 'string';
  const store =
    typeof options.store === 'string'
      ? openSqliteStore({ path: options.store, ...(options.rebuildOnSchemaChange !== undefined && { rebuildOnSchemaChange: options.rebuildOnSchemaChange }) })
      : options.store;
  const names = new Map<string, string>();
  const retriever = createRetriever({
    ...options.retrieval,
    store,
    ...(options.embedder && { embedder: options.embedder }),
    ...(options.reranker && { reranker: options.reranker }),
    ...(options.keywordFallback && { keywordFallback: true }),
  });
  /**
   * Names of the documents `hits` come from, read by id for those not known yet (a document's id
   * follows from its source, so its name does not change): a question reads a few documents, not
   * the list of every one, and sees documents other processes stored after this pipeline opened.
   */
  const nameDocumentsOf = async (hits: RetrievalResult['hits']): Promise<void> => {
    const unknown = [...new Set(hits.map((h) => h.chunk.docId))].filter((id) => !names.has(id));
    if (names.size + unknown.length > MAX_KNOWN_NAMES) names.clear();
    for (const doc of await Promise.all(unknown.map((id) => store.getDocument(id)))) if (doc) names.set(doc.id, doc.name);
  };
  const answererOptions: AnswererOptions = {
    ...(options.sources !== undefined && { sources: options.sources }),
    ...(options.refusal && { refusal: options.refusal }),
    ...(options.extractiveSentences !== undefined && { extractiveSentences: options.extractiveSentences }),
    ...(options.maxTokens !== undefined && { maxTokens: options.maxTokens }),
    ...(options.maxContextTokens !== undefined && { maxContextTokens: options.maxContextTokens }),
    documentName: (id) => names.get(id) ?? id,
  };
  const answerer = createAnswerer({ ...answererOptions, ...(options.chatModel && { chatModel: options.chatModel }) });
  const extractive = options.chatModel ? createAnswerer(answererOptions) : answerer;

  /** Reports a fallback to `onFallback` and as an event of the active span (the stage that fell back). */
  const reportFallback = (event: PipelineFallbackEvent): void => {
    addActiveSpanEvent('ragbridge.fallback', () => ({ 'ragbridge.fallback.part': event.part, 'error.type': event.error instanceof Error ? event.error.name : 'Error' }));
    options.onFallback?.(event);
  };

  const retrieve = (question: string, call: RetrieveOptions): Promise<RetrievalResult> =>
    inSpan(PIPELINE_SPANS.retrieve, async (span) => {
      const retrieval = await retriever.retrieve(question, options.k === undefined ? call : { ...call, k: call.k ?? options.k });
      if (retrieval.queryEmbedFailure) {
        reportFallback({ part: 'query-embedding', error: retrieval.queryEmbedFailure.error });
        const usage = options.localStepUsage?.({ step: 'keyword', startedAt: Date.now(), latencyMs: 0 });
        if (usage) retrieval.usage.unshift(usage);
      } else if (options.embedder) options.onPartWorked?.('query-embedding');
      if (span.isRecording()) describeRetrieval(span, retrieval);
      return retrieval;
    });

  /** The extractive answer: without a chat model, or in place of a failed one. */
  const answerExtractively = async (question: string, retrieval: RetrievalResult, call: AskCall): Promise<Answer> => {
    const startedAt = Date.now();
    const began = performance.now();
    const answer = await extractive.answer(question, retrieval.hits, retrieval.evidence, call);
    const usage = options.localStepUsage?.({ step: 'extractive', startedAt, latencyMs: performance.now() - began });
    if (usage) answer.usage.push(usage);
    return answer;
  };

  /** Whether a failed chat call is answered extractively (never after a caller's abort); reports the fallback when it is. */
  const startFallback = (call: RetrieveOptions, error: unknown): boolean => {
    if (!options.extractiveFallback || call.abortSignal?.aborted) return false;
    reportFallback({ part: 'chat', error });
    return true;
  };

  const answerQuestion = (question: string, retrieval: RetrievalResult, call: AskCall): Promise<Answer> =>
    inSpan(PIPELINE_SPANS.answer, async (span) => {
      const answer = await answerWithFallback(question, retrieval, call);
      if (span.isRecording()) describeAnswer(span, answer);
      return answer;
    });

  const answerWithFallback = async (question: string, retrieval: RetrievalResult, call: AskCall): Promise<Answer> => {
    if (!options.chatModel) return answerExtractively(question, retrieval, call);
    let answer: Answer;
    try {
      answer = await answerer.answer(question, retrieval.hits, retrieval.evidence, call);
    } catch (error) {
      if (!startFallback(call, error)) throw error;
      return answerExtractively(question, retrieval, call);
    }
    options.onPartWorked?.('chat');
    return answer;
  };

  async function* streamAnswer(question: string, retrieval: RetrievalResult, call: AskCall): AsyncGenerator<AnswerStreamPart> {
    let partial = '';
    let interruption: string | undefined;
    if (options.chatModel) {
      let failed = false;
      try {
        for await (const part of answerer.stream(question, retrieval.hits, retrieval.evidence, call)) {
          if (part.type === 'text-delta') partial += part.delta;
          if (part.type === 'answer') part.answer.usage.unshift(...retrieval.usage);
          yield part;
        }
      } catch (error) {
        if (!startFallback(call, error)) throw error;
        failed = true;
        if (partial.trim()) interruption = interruptionReason(error);
      }
      if (!failed) {
        options.onPartWorked?.('chat');
        return;
      }
    }
    const answer = await answerExtractively(question, retrieval, call);
    answer.usage.unshift(...retrieval.usage);
    if (interruption !== undefined) {
      // Text already reached the reader: it stays, marked as interrupted, and the extractive answer
      // comes as the answer (its text is not streamed onto the partial one).
      answer.interrupted = { partialText: partial.trim(), reason: interruption };
    } else yield { type: 'text-delta', delta: answer.text };
    yield { type: 'answer', answer };
  }

  const pipeline: Pipeline = {
    store,
    async indexVectors(call = {}) {
      const embedder = options.embedder;
      if (!embedder) return 0;
      const missing = await store.chunksWithoutVectors(embedder.identity);
      const batchSize = call.batchSize ?? Math.max(1, Math.min(embedder.maxBatchSize * 4, 256));
      let done = 0;
      for (let i = 0; i < missing.length; i += batchSize) {
        const chunks = await store.getChunks(missing.slice(i, i + batchSize));
        const result = await embedder.embed({
          texts: chunks.map((c) => [...c.sectionPath.slice(-1), c.text].join('\n')),
          inputType: 'document',
          ...(call.abortSignal && { abortSignal: call.abortSignal }),
        });
        await store.putVectors({ identity: embedder.identity, entries: chunks.map((c, j) => ({ chunkId: c.id, vector: result.embeddings[j] as number[] })) });
        done += chunks.length;
        call.onProgress?.({ done, total: missing.length });
      }
      options.onPartWorked?.('chunk-embedding');
      return done;
    },
    async ingest(paths, ingestOptions = {}) {
      const { onEmbedProgress, ...rest } = ingestOptions;
      const report = await ingestPaths(paths, {
        ...(options.chunker && { chunker: options.chunker }),
        // A store this pipeline opened from a file is written by the extraction workers themselves.
        ...(typeof options.store === 'string' && options.store !== ':memory:' && { workerWritePath: options.store }),
        ...rest,
        store,
      });
      names.clear();
      let embedded = 0;
      try {
        embedded = await pipeline.indexVectors({
          onProgress: (p) => {
            embedded = p.done;
            onEmbedProgress?.(p);
          },
        });
      } catch (error) {
        if (!options.reportEmbedErrors) throw error;
        reportFallback({ part: 'chunk-embedding', error });
        return { ...report, embedded, embedError: error };
      }
      return { ...report, embedded };
    },
    async retrieve(question, call = {}) {
      return retrieve(question, call);
    },
    async ask(question, askOptions = {}) {
      const call = askCall(question, askOptions);
      const query = async (): Promise<PipelineAnswer> => {
        const t0 = performance.now();
        const retrieval = await retrieve(call.retrievalQuestion, call);
        const t1 = performance.now();
        await nameDocumentsOf(retrieval.hits);
        const answer = await answerQuestion(question, retrieval, call);
        answer.usage.unshift(...retrieval.usage);
        return { answer, retrieval, ms: { retrieve: t1 - t0, answer: performance.now() - t1 } };
      };
      return inSpan(PIPELINE_SPANS.ask, async (span) => {
        if (span.isRecording()) span.setAttributes(askAttributes(false, askOptions));
        const result = await (options.runQuery ? options.runQuery(query) : query());
        if (span.isRecording()) describeAskUsage(span, result.answer.usage);
        return result;
      });
    },
    askStream(question, askOptions = {}) {
      const call = askCall(question, askOptions);
      async function* parts(streamCall: AskCall): AsyncGenerator<AnswerStreamPart | { type: 'retrieval'; retrieval: RetrievalResult }> {
        const retrieval = await retrieve(streamCall.retrievalQuestion, streamCall);
        await nameDocumentsOf(retrieval.hits);
        yield { type: 'retrieval', retrieval };
        yield* inSpanStream(PIPELINE_SPANS.answer, () => streamAnswer(question, retrieval, streamCall), {
          part: (span, part) => part.type === 'answer' && describeAnswer(span, part.answer),
        });
      }
      return inSpanStream(
        PIPELINE_SPANS.ask,
        () => (options.runQuery ? streamInside(options.runQuery, (abortSignal) => parts({ ...call, abortSignal }), call.abortSignal) : parts(call)),
        {
          start: (span) => span.setAttributes(askAttributes(true, askOptions)),
          part: (span, part) => part.type === 'answer' && describeAskUsage(span, part.answer.usage),
        },
      );
    },
    async close() {
      if (ownsStore) await store.close();
    },
  };
  return pipeline;
}

/** One question's options with the text it is retrieved with. */
type AskCall = AskOptions & AnswerCallOptions & { retrievalQuestion: string };

function askCall(question: string, options: AskOptions): AskCall {
  return { ...options, retrievalQuestion: followUpQuestion(question, options.history) };
}

/** Why a generated answer broke off, for people: the kind of failure, never a message that may hold a URL or a key. */
function interruptionReason(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  if (name === 'RequestTimeoutError') return 'the model stopped sending text (timed out)';
  if (name === 'BudgetExceededError') return 'the usage budget ran out';
  return `the model's answer broke off (${name})`;
}
