import { isLocalBackend, type BackendName } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { isPostgresUrl } from './detect-profile.js';

/** The model parts, in the order answers use them. */
export const MODEL_PARTS = ['answer', 'embedder', 'reranker'] as const;

/** A model part: the answer generator, the embedder or the reranker. */
export type ModelPart = (typeof MODEL_PARTS)[number];

/** Backends a configuration may name, per model part. `extractive` needs no model and always answers. */
export const PART_BACKENDS = {
  answer: ['hf-inference', 'ollama', 'transformersjs', 'extractive'],
  embedder: ['hf-tei', 'hf-inference', 'ollama', 'transformersjs'],
  reranker: ['hf-tei', 'hf-inference', 'transformersjs'],
} as const satisfies Record<ModelPart, readonly string[]>;

/** Every backend name used in configuration. */
export type ConfigBackend = 'hf-inference' | 'hf-tei' | 'ollama' | 'transformersjs' | 'extractive';

/**
 * The `backend` each configuration name has on the adapters (and so in usage events, breaker keys
 * and concurrency limits): `hf-inference` is the adapters' `hf-inference-providers`.
 */
export const ADAPTER_BACKENDS: Readonly<Record<ConfigBackend, BackendName>> = {
  'hf-inference': 'hf-inference-providers',
  'hf-tei': 'hf-tei',
  ollama: 'ollama',
  transformersjs: 'transformersjs',
  extractive: 'extractive',
};

/** Configuration backends that run elsewhere (need the network and may cost money), from the backends table of core-interfaces. */
export const REMOTE_BACKENDS: readonly ConfigBackend[] = (Object.keys(ADAPTER_BACKENDS) as ConfigBackend[]).filter((name) => !isLocalBackend(ADAPTER_BACKENDS[name]));

/** Whether a step runs on this machine when it does not say (the backends table's location of its backend). */
export const LOCAL_BY_DEFAULT: Readonly<Record<ConfigBackend, boolean>> = Object.fromEntries(
  (Object.keys(ADAPTER_BACKENDS) as ConfigBackend[]).map((name) => [name, isLocalBackend(ADAPTER_BACKENDS[name])]),
) as Record<ConfigBackend, boolean>;

const httpUrl = z.string().refine((value) => /^https?:\/\/[^\s]+$/i.test(value), 'must be an http(s) URL');
const headers = z.record(z.string(), z.string());
const positiveInt = z.number().int().positive();

const retrySettings = z.strictObject({
  /** Attempts in all, the first included. */
  maxAttempts: positiveInt.optional(),
  initialDelayMs: z.number().nonnegative().optional(),
  maxDelayMs: z.number().nonnegative().optional(),
  multiplier: z.number().min(1).optional(),
  jitter: z.number().min(0).max(1).optional(),
  /** Total time for all attempts of one step. */
  deadlineMs: positiveInt.optional(),
  /** Longest server-requested wait (Retry-After, estimated_time) waited out before falling back. */
  maxRetryAfterMs: z.number().nonnegative().optional(),
});

/** Fields every model step has besides its backend. */
const stepCommon = {
  /** Runs on this machine (no network, no cost); budgets may downgrade to these. @default true for ollama, transformersjs, extractive */
  local: z.boolean().optional(),
  /** Circuit breaker key; give two servers of one model different keys. @default `<backend>:<model>` */
  key: z.string().min(1).optional(),
  /** Per-attempt timeout of this step, in ms (a stream: time to its first text). @default resilience.timeoutMs */
  timeoutMs: positiveInt.optional(),
  /** Longest wait between two parts of this step's streams, in ms. @default resilience.streamIdleTimeoutMs */
  streamIdleTimeoutMs: positiveInt.optional(),
  /**
   * Longest one attempt of this step may take in all, in ms (a stream from its request to its last
   * part; one cut after its first text ends as an interrupted answer). @default resilience.totalTimeoutMs
   */
  totalTimeoutMs: positiveInt.optional(),
  /** Retry settings of this step (field by field over resilience.retry), or false for none. */
  retry: z.union([z.literal(false), retrySettings]).optional(),
};

/**
 * A model step's `options`: declared once, by its adapter package (`hfChatStepOptionsSchema`,
 * `ollamaEmbedderStepOptionsSchema`, …), and checked against that schema when the runtime builds
 * the step ({@link validateStepOptions}); this schema only requires an object.
 */
const adapterOptions = z.record(z.string(), z.unknown());

const answerSteps = [
  z.strictObject({
    backend: z.literal('hf-inference'),
    /** Hub model id; `:provider`, `:fastest` or `:cheapest` suffixes are resolved by the router. */
    model: z.string().min(1),
    /** An Inference Endpoint or TGI / OpenAI-compatible server instead of the router. */
    endpoint: httpUrl.optional(),
    /** Hugging Face token; leave unset to read HF_TOKEN at call time, or write `${HF_TOKEN}`. */
    token: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('ollama'),
    /** Model with tag as `ollama list` shows it, e.g. `llama3.2:3b`. */
    model: z.string().min(1),
    /** Ollama address. @default OLLAMA_HOST, else http://127.0.0.1:11434 */
    endpoint: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('transformersjs'),
    /** Hub model id or absolute folder, e.g. `HuggingFaceTB/SmolLM2-135M-Instruct`. */
    model: z.string().min(1),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('extractive'),
    /** Quotes the best source sentences; needs no model and always answers. */
    options: z.strictObject({ sentences: positiveInt.max(20).optional() }).optional(),
    ...stepCommon,
  }),
] as const;

const embedderSteps = [
  z.strictObject({
    backend: z.literal('hf-tei'),
    model: z.string().min(1),
    /** Base URL of the Text Embeddings Inference server. */
    endpoint: httpUrl,
    /** Bearer key of a TEI started with --api-key. */
    apiKey: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('hf-inference'),
    model: z.string().min(1),
    token: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('ollama'),
    model: z.string().min(1),
    endpoint: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('transformersjs'),
    model: z.string().min(1),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
] as const;

const rerankerSteps = [
  z.strictObject({
    backend: z.literal('hf-tei'),
    model: z.string().min(1),
    endpoint: httpUrl,
    apiKey: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('hf-inference'),
    model: z.string().min(1),
    token: z.string().min(1).optional(),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
  z.strictObject({
    backend: z.literal('transformersjs'),
    model: z.string().min(1),
    options: adapterOptions.optional(),
    ...stepCommon,
  }),
] as const;

const answerStep = z.discriminatedUnion('backend', answerSteps);
const embedderStep = z.discriminatedUnion('backend', embedderSteps);
const rerankerStep = z.discriminatedUnion('backend', rerankerSteps);

const modelsSchema = z.strictObject({
  /** The answer generator's chain; an `extractive` last step is added when missing, so every question gets an answer. */
  answer: z.strictObject({ chain: z.array(answerStep) }).prefault({ chain: [] }),
  /** The embedder's chain: one model served by one or more backends. Empty: keyword retrieval only. */
  embedder: z.strictObject({ chain: z.array(embedderStep) }).prefault({ chain: [] }),
  /** The reranker's chain. Empty: results keep their fused order. */
  reranker: z.strictObject({ chain: z.array(rerankerStep) }).prefault({ chain: [] }),
});

const retrievalSchema = z.strictObject({
  /** `hybrid`: BM25 plus dense vectors when an embedder works (keyword-only when none does); `keyword`: BM25 only. @default 'hybrid' */
  mode: z.enum(['hybrid', 'keyword']).default('hybrid'),
  /** Hits returned per question. @default the pipeline's (10) */
  k: positiveInt.max(200).optional(),
  /** Sources given to the answer generator. @default the pipeline's (5) */
  sources: positiveInt.max(50).optional(),
  /** Keyword and dense candidates before fusion. @default the pipeline's (100) */
  candidates: positiveInt.max(5000).optional(),
  /** Candidates sent to the reranker. @default the pipeline's (30) */
  rerankCandidates: positiveInt.max(1000).optional(),
  /**
   * Weights of the keyword retrieval signals by name (`bm25`, `phrase`, `documentMatch`, …; the
   * pipeline's `SIGNAL_NAMES`), overriding its cross-validated defaults; 0 turns a signal off.
   * Unknown names are rejected when the pipeline starts. @default {}
   */
  signals: z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'a signal name such as bm25 or documentMatch'), z.number().min(-10).max(10)).optional(),
  /**
   * Weight of years, dates and versions of a question in chunk scoring, relative to other terms
   * (they name an edition rather than the answer's words). @default the pipeline's calibrated value
   */
  editionTermWeight: z.number().min(0).max(1).optional(),
  /** The general English words question-shape signals read; each list replaces the pipeline's default. */
  vocabulary: z
    .strictObject({
      /** Words by which a question asks for a code (an encoding, a bit pattern), matched as word prefixes. */
      codeWords: z.array(z.string().min(1)),
      /** Verbs that make a sentence define its subject ("X is …"). */
      definingVerbs: z.array(z.string().min(1)),
    })
    .partial()
    .optional(),
  /** When to refuse instead of answering; each field overrides the pipeline's cross-validated default. */
  refusal: z
    .strictObject({
      /** Refuse when the best passage covers less than this share of the question's weight. */
      minCoverage: z.number().min(0).max(1),
      /** Refuse when a name or identifier of the question occurs nowhere in the documents. */
      refuseUnknownNames: z.boolean(),
      /** Refuse when a name the documents mention only in passing comes with coverage below this. */
      minCoverageWithWeakNames: z.number().min(0).max(1),
      /** With dense retrieval: answer despite weak keyword evidence when a top hit is at least this similar. */
      denseRescueSimilarity: z.number().min(-1).max(1),
      /** With a reranker: refuse when no top hit scores at least this. */
      minRerankScore: z.number().min(0).max(1),
    })
    .partial()
    .optional(),
  /** How documents are cut into chunks; a field left out takes the pipeline's chunker default (180 / 320 / 40 tokens). */
  chunking: z
    .strictObject({
      targetTokens: positiveInt.optional(),
      maxTokens: positiveInt.optional(),
      overlapTokens: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

/** The SQLite store file when a configuration names none. */
const DEFAULT_SQLITE_PATH = '.ragbridge/index.db';
/** The usage ledger's SQLite file with SQLite storage, when the configuration names none. */
const DEFAULT_LEDGER_PATH = '.ragbridge/usage.db';

/** A PostgreSQL connection URL (`postgres://` or `postgresql://`, as libpq and `pg` read it). */
const postgresUrl = z.string().refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL');

const sqliteStorageSchema = z.strictObject({
  /** An embedded SQLite file (`@ragbridge/pipeline`). May be left out: a `storage` without `kind` is SQLite. @default 'sqlite' */
  kind: z.literal('sqlite').default('sqlite'),
  /** SQLite file of the document index. @default '.ragbridge/index.db' */
  path: z.string().min(1).default(DEFAULT_SQLITE_PATH),
});

/**
 * PostgreSQL with pgvector (`@ragbridge/store-postgres`), for several replicas over one corpus.
 * The usage ledger, budget reservations, alert state and embedding cache live in the same database
 * unless `budgets.ledger` or `caches.embeddings.path` name a file. Fields left out take the store
 * package's defaults.
 */
const postgresStorageSchema = z.strictObject({
  kind: z.literal('postgres'),
  /**
   * Connection URL, e.g. `${DATABASE_URL}` or `postgres://ragbridge:…@db.internal:5432/ragbridge`.
   * Treated as a secret: shown without its user and password. @default DATABASE_URL
   */
  url: postgresUrl,
  /** PostgreSQL schema holding ragbridge's tables, created when missing (the store checks the name). @default the store's */
  schema: z.string().min(1).optional(),
  /** Connections in the pool of each process (each replica). @default the store's */
  maxConnections: positiveInt.optional(),
  /** pgvector HNSW `ef_search`: candidates an approximate vector query examines (more: better recall, slower). @default the store's */
  efSearch: positiveInt.optional(),
  /** How a new vector space's HNSW index is built: `m` links per node, `efConstruction` candidates per insert (the store checks the values). @default the store's */
  hnsw: z.strictObject({ m: positiveInt.optional(), efConstruction: positiveInt.optional() }).optional(),
});

/** `storage`: SQLite (the default; `kind` may be left out) or PostgreSQL, told apart by `kind`. */
const storageSchema = z.discriminatedUnion('kind', [sqliteStorageSchema, postgresStorageSchema]);

const resilienceSchema = z.strictObject({
  /** Per-attempt timeout of every step, in ms (streams: time to first text). @default 60_000 */
  timeoutMs: positiveInt.default(60_000),
  /** Longest wait between stream parts, in ms. @default 30_000 */
  streamIdleTimeoutMs: positiveInt.default(30_000),
  /** Longest one attempt may take in all (a stream to its last part), in ms. @default none */
  totalTimeoutMs: positiveInt.optional(),
  /** Retry settings of every step; a field left out takes the resilience layer's default (3 attempts, 200 ms doubling to 5 s, 30 s deadline, Retry-After up to 10 s). */
  retry: retrySettings.optional(),
  /** Circuit breaker of every model; a field left out takes the resilience layer's default (50% failures of at least 20 calls in 60 s open it for 30 s). */
  breaker: z
    .strictObject({
      windowMs: positiveInt.optional(),
      minimumCalls: positiveInt.optional(),
      failureRateThreshold: z.number().gt(0).max(1).optional(),
      openMs: z.number().int().nonnegative().optional(),
      halfOpenSuccesses: positiveInt.optional(),
    })
    .optional(),
  /** Calls in flight per backend (configuration names), e.g. `{ ollama: 1 }`. Unlisted backends are not limited. */
  concurrency: z.partialRecord(z.enum(['hf-inference', 'hf-tei', 'ollama', 'transformersjs']), positiveInt).default({}),
});

const limitedBackend = z.enum(['hf-inference', 'hf-tei', 'ollama', 'transformersjs']);

/** Mirrors the cost monitor's options, so the composition root passes them on (mapping backend names with {@link ADAPTER_BACKENDS}). */
const budgetsSchema = z.strictObject({
  /**
   * SQLite file of the usage ledger. With PostgreSQL storage, leave it out to keep the ledger,
   * budget reservations and alert state in that database (shared by every replica).
   * @default '.ragbridge/usage.db' with SQLite storage; the storage's database with PostgreSQL
   */
  ledger: z.string().min(1).optional(),
  /** Limits per UTC day or month, in US dollars or tokens, overall or per backend or client. @default [] (no limits) */
  limits: z
    .array(
      z
        .strictObject({
          /** Name in errors, alerts and metrics. @default `<window>`, with `:<backend>` and `@<caller>` when set */
          id: z.string().min(1).optional(),
          window: z.enum(['day', 'month']),
          /** US dollars the window may spend on paid calls; 0 allows local backends only. Give this or `limitTokens`. */
          limitUsd: z.number().nonnegative().optional(),
          /** Tokens (input plus output) the window may use, local models included. Give this or `limitUsd`. */
          limitTokens: z.number().int().nonnegative().optional(),
          /** Count only this backend. @default every backend */
          backend: limitedBackend.optional(),
          /** Count only the calls of this client of the OpenAI-compatible endpoint (a `server.clients[].id`). @default every call */
          caller: z.string().min(1).optional(),
          /** `block`: refuse the calls it counts; `downgrade`: the fallback chains use their local steps only. @default 'downgrade' */
          mode: z.enum(['block', 'downgrade']).default('downgrade'),
        })
        .refine((limit) => (limit.limitUsd === undefined) !== (limit.limitTokens === undefined), 'give exactly one of limitUsd and limitTokens'),
    )
    .default([]),
  /** Paid calls to a model without a known price: `allow` (reported, not counted) or `block`. @default the cost monitor's ('allow') */
  unknownPrice: z.enum(['allow', 'block']).optional(),
  /** Token limits of every answer. */
  tokens: z
    .strictObject({
      /** Longest answer the model may write, in tokens. @default the pipeline's (512) */
      maxOutput: positiveInt.optional(),
      /**
       * Most tokens the answer model is given (instructions, earlier turns, sources and question);
       * past it the oldest turns, then the lowest-ranked sources are left out (the best source
       * always stays). @default no limit
       */
      maxContext: positiveInt.optional(),
    })
    .optional(),
});

/**
 * Prices the cost monitor charges. Rows are the cost monitor's (`modelPriceSchema`), written with
 * `model` and a configuration backend name, and checked by the composition root
 * ({@link validatePriceOverrides}).
 */
const pricesSchema = z.strictObject({
  /**
   * A dated price table (JSON: `{ asOf, source, prices }`), e.g. the file `ragbridge prices update`
   * writes from the router's model listing; it replaces the built-in table. Relative to the data
   * folder. @default the cost monitor's built-in table
   */
  file: z.string().min(1).optional(),
  /**
   * Prices of your own, winning over the table: `{ backend?, model, provider?, inputPerMillion?,
   * outputPerMillion?, perRequest?, perHour?, scaleToZeroMinutes?, source? }` in US dollars, `model: '*'`
   * for every model of a backend. @default []
   */
  overrides: z.array(z.record(z.string(), z.unknown())).optional(),
});

/** Mirrors the cost monitor's alert options; a field left out takes the cost monitor's default. */
const alertsSchema = z.strictObject({
  /** Spend thresholds per UTC day or month. @default the cost monitor's ($25 a month) */
  cost: z
    .array(z.strictObject({ window: z.enum(['day', 'month']), thresholdUsd: z.number().nonnegative(), backend: limitedBackend.optional() }))
    .optional(),
  /** Error rate of backend calls over a sliding window, or false. @default the cost monitor's (5% over an hour) */
  errorRate: z
    .union([
      z.literal(false),
      z.strictObject({ maxRate: z.number().min(0).max(1).optional(), windowMs: positiveInt.optional(), minCalls: positiveInt.optional() }),
    ])
    .optional(),
  /** p95 latency over a sliding window, or false. @default the cost monitor's (15 s over an hour) */
  latency: z
    .union([
      z.literal(false),
      z.strictObject({ p95Ms: z.number().positive().optional(), windowMs: positiveInt.optional(), minSamples: positiveInt.optional() }),
    ])
    .optional(),
  /** POST every alert as JSON here. The URL and headers are treated as secrets. */
  webhook: z.strictObject({ url: httpUrl, headers: headers.optional(), timeoutMs: positiveInt.optional() }).optional(),
});

const cachesSchema = z.strictObject({
  /** Query and chunk vectors, keyed by embedder identity (never stale: a new model is a new key). */
  embeddings: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Most vectors kept in memory. @default the cost monitor's (100_000) */
      maxEntries: positiveInt.optional(),
      /**
       * SQLite file that keeps the cache across restarts (`:memory:`: in memory only).
       * @default in memory with SQLite storage; the storage's database with PostgreSQL
       */
      path: z.string().min(1).optional(),
    })
    .prefault({}),
  /** Whole answers, keyed by prompt and model. */
  answers: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Most answers kept in memory. @default the cost monitor's (1_000) */
      maxEntries: positiveInt.optional(),
      /** How long an answer stays valid, in ms. @default the cost monitor's (86_400_000, one day) */
      ttlMs: positiveInt.optional(),
      path: z.string().min(1).optional(),
    })
    .prefault({}),
});

/** A proxy's address or network: an IPv4 or IPv6 address, or a CIDR such as `10.0.0.0/8`. */
const proxyAddress = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);

const serverSchema = z.strictObject({
  /** Interface to listen on. @default '127.0.0.1' */
  host: z.string().min(1).default('127.0.0.1'),
  /** @default 3000 */
  port: z.number().int().min(0).max(65_535).default(3000),
  /** Origins (`https://app.example`, or `*`) that browsers may call the API from; empty: no CORS headers. @default [] */
  corsOrigins: z.array(z.string().min(1)).default([]),
  /** Questions answered at once; more wait. @default 8 */
  maxConcurrentRequests: positiveInt.default(8),
  /** Longest a request may take, in ms. @default 120_000 */
  requestTimeoutMs: positiveInt.default(120_000),
  /** Largest upload, in MB. @default 50 */
  maxUploadMb: positiveInt.default(50),
  /** Key clients must send as a bearer token. @default none (open, unless `clients` are listed) */
  apiKey: z.string().min(1).optional(),
  /**
   * Clients of the OpenAI-compatible endpoint, each with its own key: its calls carry its `id` in
   * the usage ledger, `budgets.limits` with `caller: <id>` limit it, and `maxOutputTokens` caps its
   * answers below `budgets.tokens.maxOutput`. With clients listed, a request needs one of their
   * keys (or `apiKey`). @default []
   */
  clients: z
    .array(
      z.strictObject({
        /** Name of the client in the ledger, budgets and logs (not a secret). */
        id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", at most 64'),
        /** The key it sends as a bearer token. */
        apiKey: z.string().min(16, 'use a key of at least 16 characters'),
        /** Longest answer this client may get, in tokens. @default budgets.tokens.maxOutput */
        maxOutputTokens: positiveInt.optional(),
      }),
    )
    .optional(),
  /**
   * Which `X-Forwarded-For` entries name the client (per-client rate limits): `false`, none (the
   * connection's own address); a number n, the entry n from the right (n proxies in front, each
   * appending the address it saw); a list of proxy addresses or CIDRs, the rightmost entry that is
   * not one of them, when the connection comes from one of them. @default false
   */
  trustProxy: z.union([z.literal(false), z.number().int().min(1).max(32), z.array(proxyAddress).min(1)]).default(false),
});

type StepWithBackend = { backend: string; local?: boolean | undefined };

function withLocal<S extends StepWithBackend>(steps: readonly S[]): Array<S & { local: boolean }> {
  return steps.map((step) => ({ ...step, local: step.local ?? LOCAL_BY_DEFAULT[step.backend as ConfigBackend] }));
}

const EMBEDDING_IDENTITY_FIELDS = ['revision', 'pooling', 'normalize', 'queryPrefix', 'documentPrefix', 'dimensions'] as const;

function embedderIdentityOf(step: { backend: string; model: string; options?: Record<string, unknown> | undefined }): string {
  const options = step.options ?? {};
  return [step.backend, step.model, ...EMBEDDING_IDENTITY_FIELDS.map((f) => `${f}=${JSON.stringify(options[f] ?? null)}`)].join(' ');
}

/**
 * The whole ragbridge configuration: each model part's fallback chain, retrieval, storage,
 * resilience, budgets, alerts, caches, prices and the server. Strict: unknown keys are errors. Parsing
 * fills defaults, adds the final `extractive` answer step and each step's `local` flag.
 */
export const configSchema = z
  .strictObject({
    /** The built-in profile this configuration starts from (set by resolveConfig). */
    profile: z.string().min(1).optional(),
    /** No network at all: hosted steps are refused and Transformers.js uses cached models only. @default false */
    offline: z.boolean().default(false),
    models: modelsSchema.prefault({}),
    retrieval: retrievalSchema.prefault({}),
    storage: storageSchema.prefault({}),
    resilience: resilienceSchema.prefault({}),
    budgets: budgetsSchema.prefault({}),
    alerts: alertsSchema.prefault({}),
    caches: cachesSchema.prefault({}),
    prices: pricesSchema.prefault({}),
    server: serverSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const answer = config.models.answer.chain;
    answer.forEach((step, index) => {
      if (step.backend === 'extractive' && index < answer.length - 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', 'answer', 'chain', index, 'backend'],
          message: `"extractive" always answers, so it must be the last step (steps after it would never run)`,
        });
      }
    });
    const embedder = config.models.embedder.chain;
    const first = embedder[0];
    embedder.forEach((step, index) => {
      if (first && index > 0 && embedderIdentityOf(step) !== embedderIdentityOf(first)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', 'embedder', 'chain', index],
          message:
            `an embedder falls back only to the same model identity (backend, model, revision, pooling, normalization, prefixes): ` +
            `step 0 is ${first.backend} "${first.model}", this step is ${step.backend} "${step.model}"${step.backend === first.backend && step.model === first.model ? ' with other identity options' : ''}. ` +
            `Vectors of another model would not match the index; when the embedder chain fails, retrieval falls back to keyword search`,
        });
      }
    });
    if (config.offline) {
      for (const part of MODEL_PARTS) {
        config.models[part].chain.forEach((step, index) => {
          if ((REMOTE_BACKENDS as readonly string[]).includes(step.backend)) {
            ctx.addIssue({ code: 'custom', path: ['models', part, 'chain', index, 'backend'], message: `"${step.backend}" needs the network, but offline is true` });
          }
          if (step.backend === 'transformersjs' && step.options && 'allowRemoteModels' in step.options && step.options.allowRemoteModels === true) {
            ctx.addIssue({
              code: 'custom',
              path: ['models', part, 'chain', index, 'options', 'allowRemoteModels'],
              message: 'must not be true when offline is true (models must already be cached)',
            });
          }
        });
      }
    }
    const clients = config.server.clients ?? [];
    const ids = new Set<string>();
    const keys = new Set<string>(config.server.apiKey === undefined ? [] : [config.server.apiKey]);
    clients.forEach((client, index) => {
      if (ids.has(client.id)) ctx.addIssue({ code: 'custom', path: ['server', 'clients', index, 'id'], message: `"${client.id}" names two clients` });
      if (keys.has(client.apiKey)) ctx.addIssue({ code: 'custom', path: ['server', 'clients', index, 'apiKey'], message: 'the same key is given twice: each client needs its own' });
      ids.add(client.id);
      keys.add(client.apiKey);
    });
    config.budgets.limits.forEach((limit, index) => {
      if (limit.caller !== undefined && !ids.has(limit.caller)) {
        ctx.addIssue({
          code: 'custom',
          path: ['budgets', 'limits', index, 'caller'],
          message: `no client "${limit.caller}" in server.clients${ids.size ? ` (clients: ${[...ids].join(', ')})` : ''}`,
        });
      }
    });
    const { chunking } = config.retrieval;
    if (chunking?.targetTokens !== undefined && chunking.maxTokens !== undefined && chunking.targetTokens > chunking.maxTokens) {
      ctx.addIssue({ code: 'custom', path: ['retrieval', 'chunking', 'targetTokens'], message: `must not exceed maxTokens (${chunking.maxTokens}), got ${chunking.targetTokens}` });
    }
  })
  .transform((config) => {
    const answer = config.models.answer.chain;
    const complete = answer.at(-1)?.backend === 'extractive' ? answer : [...answer, { backend: 'extractive' as const }];
    return {
      ...config,
      // With PostgreSQL storage an unset ledger lives in the storage's database.
      budgets: { ...config.budgets, ledger: config.budgets.ledger ?? (config.storage.kind === 'sqlite' ? DEFAULT_LEDGER_PATH : undefined) },
      models: {
        answer: { chain: withLocal(complete) },
        embedder: { chain: withLocal(config.models.embedder.chain) },
        reranker: { chain: withLocal(config.models.reranker.chain) },
      },
    };
  });

/** A validated configuration with every default filled in. */
export type RagbridgeConfig = z.output<typeof configSchema>;

/** A configuration as written: every section and most fields optional. */
export type RagbridgeConfigInput = z.input<typeof configSchema>;

/** The `storage` section of a validated configuration. */
export type StorageConfig = RagbridgeConfig['storage'];

/** PostgreSQL storage, as configured (defaults left to `@ragbridge/store-postgres`). */
export type PostgresStorageConfig = Extract<StorageConfig, { kind: 'postgres' }>;

/** One step of the answer chain. */
export type AnswerStepConfig = RagbridgeConfig['models']['answer']['chain'][number];

/** One step of the embedder chain. */
export type EmbedderStepConfig = RagbridgeConfig['models']['embedder']['chain'][number];

/** One step of the reranker chain. */
export type RerankerStepConfig = RagbridgeConfig['models']['reranker']['chain'][number];
