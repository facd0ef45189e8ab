import type { ConfigExplanation, RagbridgeConfig, ResolvedConfig } from '@ragbridge/config-profiles';
import type { ChatModelV1, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import type { CostMonitor, PriceBookOptions } from '@ragbridge/cost-monitor';
import type { Pipeline } from '@ragbridge/pipeline';
import type { ResilienceEventListener, ResilienceSnapshot } from '@ragbridge/resilience';

/** Where the runtime reports what an operator should know; messages are already redacted. */
import type { AdapterImporter, AdapterModules } from './internal/adapter-packages.js';
import type { StorageImporter } from './internal/storage-packages.js';
export interface RuntimeLogger {
  /** A part fell back to its last step, a breaker opened, an alert fired. */
  warn(message: string): void;
  /** A part works again, a breaker closed, a budget reset. */
  info(message: string): void;
}

/** A model part of the pipeline. */
export type RuntimePart = 'answer' | 'embedder' | 'reranker';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** What `resolveConfig()` returned (profile, reason, sources), or a validated configuration. */
  config: ResolvedConfig | RagbridgeConfig;
  /** Where secrets such as HF_TOKEN are read; default `process.env`. Values never reach logs, errors or `explain()`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `fetch` for every HTTP adapter (tests route it to the fake services); default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Folder relative `storage` / ledger / cache paths resolve against; default `process.cwd()`. */
  baseDir?: string;
  /**
   * A SQLite document store file instead of the configuration's storage, SQLite or PostgreSQL (e.g.
   * `:memory:` in tests); relative to `baseDir`.
   */
  storePath?: string;
  /**
   * A SQLite usage ledger file instead of the configuration's (`:memory:` keeps it in memory);
   * relative to `baseDir`. With PostgreSQL storage the ledger, budgets and alert state are otherwise
   * in the database.
   */
  ledgerPath?: string;
  /**
   * Embedding cache file instead of the configuration's `caches.embeddings.path` (`:memory:` keeps
   * it in memory); relative to `baseDir`. It does not turn on a cache the configuration turns off.
   */
  embeddingCachePath?: string;
  /**
   * Prices for the cost monitor (`table`, `overrides`, `localBackends`) besides the configuration's
   * `prices`: this table replaces the configuration's, and these overrides come after (and win over)
   * its own. @default the configuration's `prices`, else the built-in Inference Providers table
   */
  prices?: PriceBookOptions;
  /**
   * Where the runtime reports a part falling back to its last step (once, not per question) and
   * its recovery, circuit breakers opening and closing, and the cost monitor's alerts (budgets,
   * spend, error rate, latency). Messages pass through the secret redactor first.
   * @default warnings to `console.warn`, nothing else
   */
  logger?: RuntimeLogger;
  /** Receives every resilience event: attempts, failed / skipped / served steps, breaker changes. */
  onResilienceEvent?: ResilienceEventListener;
  /**
   * Adapter packages already imported (e.g. where a bundler must see static imports). The others
   * the configuration's steps name are imported with `import()`; they are optional peer
   * dependencies, so install only the ones your profiles use. A step whose package is not
   * installed: an answer or reranker step is passed over (`parts()` says which package to install,
   * and the log warns once); an embedder step is a `ConfigError` (`@ragbridge/config-profiles`).
   */
  adapters?: AdapterModules;
  /** How adapter packages are imported; default `(name) => import(name)`. */
  importAdapter?: AdapterImporter;
  /**
   * How the PostgreSQL packages are imported when `storage.kind` is `postgres`
   * (`@ragbridge/store-postgres` and `pg`, optional peer dependencies, and the cost monitor's and
   * caches' `/postgres` subpaths); default `(name) => import(name)`. A package that is not installed
   * is a `ConfigError` saying what to install.
   */
  importStorage?: StorageImporter;
  /**
   * A store file written by an older ragbridge is emptied and rebuilt instead of refused: for a
   * store that only caches a corpus kept elsewhere (an evaluation's). @default false
   */
  rebuildStoreOnSchemaChange?: boolean;
  /**
   * For bulk ingestion into PostgreSQL storage (a command that loads many documents and exits): a
   * vector space the store creates gets no HNSW index while its vectors go in; call the store's
   * `buildVectorIndexes()` (`@ragbridge/store-postgres`) when the load is done, which builds it
   * several times faster than maintaining it insert by insert. Until then that space is searched
   * exactly. No effect on SQLite storage or on spaces that exist. @default false
   */
  deferVectorIndex?: boolean;
  /**
   * For long-running servers: when a Hugging Face model answers 503 "loading" and its chain falls
   * back, load it with one background request (per model) so later questions get it; logged, and
   * its usage recorded. A step's own `options.warmUp` wins. Off by default: a pending warm-up keeps
   * a process alive for up to 5 minutes, which a one-shot command should not wait for.
   * @default false
   */
  warmUpColdModels?: boolean;
}

/** One step of a part's fallback chain, as the runtime built it. */
export interface RuntimeStepStatus {
  /** Adapter backend name as usage events carry it (`hf-inference-providers`, `hf-tei`, `ollama`, `transformersjs`, `extractive`, `keyword`, `fused-order`). */
  backend: string;
  /** Model id; absent for extractive / keyword / fused-order. */
  model?: string;
  /** Runs on this machine (no network, no cost). */
  local: boolean;
  /** Circuit breaker state of the step; `closed` for steps without a breaker. */
  breaker: 'closed' | 'open' | 'half-open';
  /**
   * Set when the step cannot run on this machine as configured, as its last check found: a
   * Transformers.js model that is not on disk while downloads are off (`model files not on disk,
   * and downloads are off`; the runtime's log names the files and folders). The
   * chain passes over such a step without calling it: no ledger row, no error, no breaker failure.
   * Checked at each call of the part, so it is absent before the part's first call.
   */
  unavailable?: string;
}

/** A model part with its chain, in order. */
export interface RuntimePartStatus {
  part: RuntimePart;
  steps: RuntimeStepStatus[];
}

/**
 * The models the pipeline uses, as the runtime composed them: each part's whole chain (every step
 * recorded by the cost monitor, behind retry, timeouts, circuit breakers, concurrency limits and
 * budget downgrades) with its cache in front. These are the pipeline's own objects, so a call
 * through them shares its caches, breakers, limiters and budgets and is a ledger row like the
 * pipeline's (without a query id unless made inside `monitor.trackQuery`). A part whose
 * configuration has no model step is absent.
 */
export interface RuntimeModels {
  /**
   * The answer part: the chat steps as a fallback chain, the answer cache in front. The
   * `extractive` step is the pipeline's, not a model: a call rejects when every chat step failed.
   */
  readonly chatModel?: ChatModelV1;
  /**
   * The embedder part: one identity (`embedder.identity`, the one the store's vectors are kept
   * under), the embedding cache in front; absent with `retrieval.mode: keyword`. The `keyword`
   * step is the pipeline's: a call rejects when every step failed.
   */
  readonly embedder?: EmbedderV1;
  /**
   * The reranker part, ending in `fused-order`: it does not fail (except on abort); a result whose
   * `usage.backend` is `fused-order` keeps the given order instead of scoring relevance.
   */
  readonly reranker?: RerankerV1;
}

/** The composed application: pipeline, models behind resilience and the cost monitor. */
export interface Runtime {
  /** Built-in profile the configuration started from (`offline` when given a bare config without one). */
  readonly profile: string;
  readonly config: RagbridgeConfig;
  /** Ingest / retrieve / ask, with every model call going through resilience and the monitor. */
  readonly pipeline: Pipeline;
  /** The models inside the pipeline (the same objects), for calls of your own; see {@link RuntimeModels}. */
  readonly models: RuntimeModels;
  /** Usage ledger, prices, budgets, alerts, caches and summaries. */
  readonly monitor: CostMonitor;
  /** The configuration with secrets redacted, and why this profile. */
  explain(): ConfigExplanation;
  /** Each part's chain with breaker states. */
  parts(): RuntimePartStatus[];
  /** Breakers, concurrency and retry counters of every step. */
  resilience(): ResilienceSnapshot;
  /** Closes the store, ledger, caches and model workers, and the PostgreSQL pool. */
  close(): Promise<void>;
}
