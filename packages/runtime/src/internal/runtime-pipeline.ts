import type { ChatModelV1, DocumentStoreV2, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import { TERMINAL_BACKENDS } from '@ragbridge/core-interfaces';
import { defined } from './defined.js';
import type { CostMonitor } from '@ragbridge/cost-monitor';
import { createPipeline, type ChunkerOptions, type Pipeline, type PipelineFallbackPart, type RefusalPolicy, type RetrieverOptions } from '@ragbridge/pipeline';
import type { RuntimeLogger } from '../runtime-types.js';
import { DegradationLog } from './runtime-log.js';
import { observeReranker, terminalUsage } from '../terminal-steps.js';

/** Options of {@link createRuntimePipeline}. */
export interface RuntimePipelineOptions {
  /** The store, or its SQLite file path (the store is then closed with the pipeline). */
  store: DocumentStoreV2 | string;
  /** A store file of an older schema is emptied and rebuilt instead of refused (a cache of a corpus). */
  rebuildOnSchemaChange?: boolean;
  /** Document and query embeddings (cache in front of the chain); absent: keyword retrieval only. */
  embedder: EmbedderV1 | undefined;
  /** Chain position of the keyword step. */
  keywordStep: number;
  /** The reranker chain, ending in `fused-order`, as {@link observeRerankerChain} returned it; absent: fused order. */
  reranker: RerankerV1 | undefined;
  /** The chat chain (cache in front); absent: extractive answers. */
  chatModel: ChatModelV1 | undefined;
  /** Chain position of the `extractive` step. */
  extractiveStep: number;
  extractiveSentences: number | undefined;
  retrieval: Omit<RetrieverOptions, 'store' | 'embedder' | 'reranker' | 'keywordFallback'>;
  /** Hits per question when a call does not say. @default the pipeline's */
  k?: number;
  /** @default the pipeline's */
  sources?: number;
  refusal?: Partial<RefusalPolicy>;
  /** @default the pipeline's chunker defaults */
  chunker?: ChunkerOptions;
  /** Longest answer, in tokens. @default the pipeline's */
  maxTokens?: number;
  /** Most prompt tokens given to the answer model. @default no limit */
  maxContextTokens?: number;
  monitor: CostMonitor;
  logger: RuntimeLogger;
}

/**
 * The pipeline the runtime hands out: `@ragbridge/pipeline`'s, with its fallbacks on so that
 * every chain ends in a step that always works:
 *
 * - a question whose query cannot be embedded is answered from keyword retrieval alone (the
 *   `keyword` step);
 * - a failing reranker chain leaves the fused order (its last step, `fused-order`);
 * - a failing chat chain (every step failed, or a budget left none) gives the extractive answer,
 *   recorded in the ledger as the `extractive` step; a stream falls back only before its first
 *   text, never splicing two answers;
 * - ingestion stores documents even when their chunks cannot be embedded (they get vectors at the
 *   next ingest or `indexVectors()` once the embedder works).
 *
 * Every question runs as one tracked query of the cost monitor; each degradation is logged once.
 */
export function createRuntimePipeline(options: RuntimePipelineOptions): Pipeline {
  const { monitor, logger } = options;
  const logs: Record<PipelineFallbackPart, DegradationLog> = {
    'query-embedding': new DegradationLog(logger, 'The embedder chain', 'questions use keyword retrieval only until it works again'),
    chat: new DegradationLog(logger, 'The answer chain', 'answers are extractive until it works again'),
    'chunk-embedding': new DegradationLog(logger, 'Embedding ingested chunks', 'they are found by keywords only until the next ingest or indexVectors() embeds them'),
  };

  return createPipeline({
    store: options.store,
    ...(options.rebuildOnSchemaChange && { rebuildOnSchemaChange: true }),
    ...(options.embedder && { embedder: options.embedder }),
    ...(options.reranker && { reranker: options.reranker }),
    ...(options.chatModel && { chatModel: options.chatModel }),
    retrieval: options.retrieval,
    ...defined({ k: options.k, chunker: options.chunker, sources: options.sources, refusal: options.refusal, maxTokens: options.maxTokens, maxContextTokens: options.maxContextTokens }),
    ...(options.extractiveSentences !== undefined && { extractiveSentences: options.extractiveSentences }),
    extractiveFallback: true,
    keywordFallback: true,
    reportEmbedErrors: true,
    runQuery: (query) => monitor.trackQuery(query),
    onFallback: (event) => logs[event.part].failed(event.error),
    onPartWorked: (part) => logs[part].recovered(),
    localStepUsage: ({ step, startedAt, latencyMs }) => {
      if (step === 'keyword') return terminalUsage(TERMINAL_BACKENDS.embedder, 'embed', options.keywordStep, 1, startedAt, latencyMs);
      // The extractive step answers like a chain step: a free local call in the ledger.
      const usage = terminalUsage(TERMINAL_BACKENDS.answer, 'chat', options.extractiveStep, 1, startedAt, latencyMs);
      monitor.record(usage);
      return usage;
    },
  });
}

/**
 * The reranker chain as the pipeline and `runtime.models` share it: each result whose serving step
 * was `fused-order` logs the degradation (once, until a model step serves again), saying so when
 * `unavailable` reports that no model step can run here.
 */
export function observeRerankerChain(reranker: RerankerV1, logger: RuntimeLogger, unavailable: () => string | undefined = () => undefined): RerankerV1 {
  const log = new DegradationLog(logger, 'The reranker chain', 'hits keep their fused keyword/dense order until it works again');
  return observeReranker(reranker, (usage) => {
    if (usage.backend !== TERMINAL_BACKENDS.reranker) return log.recovered();
    const missing = unavailable();
    log.fellBack(missing === undefined ? 'reached its last step, fused-order' : `has no model it can run here (${missing})`);
  });
}
