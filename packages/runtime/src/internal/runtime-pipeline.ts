import type { Answer, ChatModelV1, DocumentStore, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import type { CostMonitor } from '@ragbridge/cost-monitor';
import {
  createAnswerer,
  createRetriever,
  ingestPaths,
  type AnswerStreamPart,
  type ChunkerOptions,
  type EmbedProgress,
  type Pipeline,
  type RetrievalResult,
  type RetrieverOptions,
} from '@ragbridge/pipeline';
import { performance } from 'node:perf_hooks';
import type { RuntimeLogger } from '../runtime-types.js';
import { DegradationLog } from './runtime-log.js';
import { observeReranker, TERMINAL_BACKENDS, terminalUsage, withKeywordFallback } from '../terminal-steps.js';

/** Options of {@link createRuntimePipeline}. */
export interface RuntimePipelineOptions {
  store: DocumentStore;
  /** Close the store with the pipeline. */
  ownsStore: boolean;
  /** Document and query embeddings (cache in front of the chain); absent: keyword retrieval only. */
  embedder: EmbedderV1 | undefined;
  /** Chain position of the keyword step. */
  keywordStep: number;
  /** The reranker chain, ending in `fused-order`; absent: fused order. */
  reranker: RerankerV1 | undefined;
  /** The chat chain (cache in front); absent: extractive answers. */
  chatModel: ChatModelV1 | undefined;
  /** Chain position of the `extractive` step. */
  extractiveStep: number;
  extractiveSentences: number | undefined;
  retrieval: Omit<RetrieverOptions, 'store' | 'embedder' | 'reranker'>;
  /** Hits per question when a call does not say. */
  k: number;
  sources: number;
  refusalThreshold: number | undefined;
  chunker: ChunkerOptions;
  monitor: CostMonitor;
  logger: RuntimeLogger;
}

type AskStreamPart = AnswerStreamPart | { type: 'retrieval'; retrieval: RetrievalResult };

/** A pull queue: the producer pushes, the consumer iterates; `end`/`fail` finish it. */
function partQueue<T>(): { push(item: T): void; end(): void; fail(error: unknown): void; iterate(): AsyncGenerator<T> } {
  const items: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item) {
      items.push(item);
      notify();
    },
    end() {
      finished = true;
      notify();
    },
    fail(error) {
      failure = { error };
      finished = true;
      notify();
    },
    async *iterate() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift() as T;
          continue;
        }
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/**
 * The pipeline the runtime hands out: ingest, retrieval and answers of `@ragbridge/pipeline`,
 * composed from its parts so that every chain ends in a step that always works:
 *
 * - a question whose query cannot be embedded is answered from keyword retrieval alone;
 * - a failing reranker chain leaves the fused order (its last step, `fused-order`);
 * - a failing chat chain (every step failed, or a budget left none) gives the extractive answer,
 *   recorded in the ledger as the `extractive` step; a stream falls back only before its first
 *   text, never splicing two answers;
 * - ingestion stores documents even when their chunks cannot be embedded (they get vectors at the
 *   next ingest or `indexVectors()` once the embedder works).
 *
 * Every question runs as one tracked query of the cost monitor.
 */
export function createRuntimePipeline(options: RuntimePipelineOptions): Pipeline {
  const { store, monitor, logger } = options;
  const embedderLog = new DegradationLog(logger, 'The embedder chain', 'questions use keyword retrieval only until it works again');
  const rerankerLog = new DegradationLog(logger, 'The reranker chain', 'hits keep their fused keyword/dense order until it works again');
  const answerLog = new DegradationLog(logger, 'The answer chain', 'answers are extractive until it works again');
  const indexLog = new DegradationLog(logger, 'Embedding ingested chunks', 'they are found by keywords only until the next ingest or indexVectors() embeds them');

  const queryEmbedder =
    options.embedder &&
    withKeywordFallback(options.embedder, {
      fallbackStep: options.keywordStep,
      onFallback: (error) => embedderLog.failed(error),
      onSuccess: () => embedderLog.recovered(),
    });
  const reranker =
    options.reranker &&
    observeReranker(options.reranker, (usage) => {
      if (usage.backend === TERMINAL_BACKENDS.reranker) rerankerLog.fellBack('reached its last step, fused-order');
      else rerankerLog.recovered();
    });
  const retriever = createRetriever({
    ...options.retrieval,
    store,
    ...(queryEmbedder && { embedder: queryEmbedder }),
    ...(reranker && { reranker }),
  });

  const names = new Map<string, string>();
  let namesLoaded = false;
  const refreshNames = async (): Promise<void> => {
    names.clear();
    for (const doc of await store.listDocuments()) names.set(doc.id, doc.name);
    namesLoaded = true;
  };
  const ensureNames = async (): Promise<void> => {
    if (!namesLoaded) await refreshNames();
  };
  const answererOptions = {
    sources: options.sources,
    ...(options.refusalThreshold !== undefined && { refusalThreshold: options.refusalThreshold }),
    documentName: (id: string) => names.get(id) ?? id,
  };
  const generative = options.chatModel && createAnswerer({ ...answererOptions, chatModel: options.chatModel });
  const extractive = createAnswerer({ ...answererOptions, ...(options.extractiveSentences !== undefined && { extractiveSentences: options.extractiveSentences }) });

  /** The extractive step: the pipeline's extractive answer, recorded as a free local call. */
  const extractiveAnswer = async (question: string, retrieval: RetrievalResult, signal: AbortSignal | undefined): Promise<Answer> => {
    const startedAt = Date.now();
    const began = performance.now();
    const answer = await extractive.answer(question, retrieval.hits, retrieval.evidence, signal ? { abortSignal: signal } : {});
    const usage = terminalUsage(TERMINAL_BACKENDS.answer, 'chat', options.extractiveStep, 1, startedAt, performance.now() - began);
    monitor.record(usage);
    answer.usage.push(usage);
    return answer;
  };

  const answerQuestion = async (question: string, retrieval: RetrievalResult, signal: AbortSignal | undefined): Promise<Answer> => {
    if (generative) {
      try {
        const answer = await generative.answer(question, retrieval.hits, retrieval.evidence, signal ? { abortSignal: signal } : {});
        answerLog.recovered();
        return answer;
      } catch (error) {
        if (signal?.aborted) throw error;
        answerLog.failed(error);
      }
    }
    return extractiveAnswer(question, retrieval, signal);
  };

  const indexVectors: Pipeline['indexVectors'] = async (call = {}) => {
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
    indexLog.recovered();
    return done;
  };

  const pipeline: Pipeline = {
    store,
    indexVectors,
    async ingest(paths, ingestOptions = {}) {
      const { onEmbedProgress, ...rest } = ingestOptions;
      const report = await ingestPaths(paths, { chunker: options.chunker, ...rest, store });
      await refreshNames();
      let embedded = 0;
      const onProgress = (p: EmbedProgress): void => {
        embedded = p.done;
        onEmbedProgress?.(p);
      };
      try {
        embedded = await indexVectors({ onProgress });
      } catch (error) {
        // The documents are stored and keyword-searchable; vectors can come later.
        indexLog.failed(error);
      }
      return { ...report, embedded };
    },
    async retrieve(question, call = {}) {
      return retriever.retrieve(question, { ...call, k: call.k ?? options.k });
    },
    async ask(question, call = {}) {
      return monitor.trackQuery(async () => {
        await ensureNames();
        const t0 = performance.now();
        const retrieval = await retriever.retrieve(question, { ...call, k: call.k ?? options.k });
        const t1 = performance.now();
        const answer = await answerQuestion(question, retrieval, call.abortSignal);
        answer.usage.unshift(...retrieval.usage);
        return { answer, retrieval, ms: { retrieve: t1 - t0, answer: performance.now() - t1 } };
      });
    },
    async *askStream(question, call = {}) {
      // The query runs inside the monitor's query scope; parts reach the caller through a queue.
      const stop = new AbortController();
      const signal = call.abortSignal ? AbortSignal.any([call.abortSignal, stop.signal]) : stop.signal;
      const queue = partQueue<AskStreamPart>();
      const produced = monitor
        .trackQuery(async () => {
          await ensureNames();
          const retrieval = await retriever.retrieve(question, { k: call.k ?? options.k, abortSignal: signal });
          queue.push({ type: 'retrieval', retrieval });
          if (generative) {
            let delivered = false;
            try {
              for await (const part of generative.stream(question, retrieval.hits, retrieval.evidence, { abortSignal: signal })) {
                if (part.type === 'text-delta' && part.delta) delivered = true;
                if (part.type === 'answer') part.answer.usage.unshift(...retrieval.usage);
                queue.push(part);
              }
              answerLog.recovered();
              return;
            } catch (error) {
              // After text reached the caller, another answer would be spliced onto it: end with the error.
              if (delivered || signal.aborted) throw error;
              answerLog.failed(error);
            }
          }
          const answer = await extractiveAnswer(question, retrieval, signal);
          answer.usage.unshift(...retrieval.usage);
          queue.push({ type: 'text-delta', delta: answer.text });
          queue.push({ type: 'answer', answer });
        })
        .then(
          () => queue.end(),
          (error: unknown) => queue.fail(error),
        );
      try {
        yield* queue.iterate();
      } finally {
        // The caller stopped reading (or the stream ended): stop the producer and let it settle.
        stop.abort();
        await produced;
      }
    },
    async close() {
      if (options.ownsStore) await store.close();
    },
  };
  return pipeline;
}

