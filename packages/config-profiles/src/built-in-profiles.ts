import type { RagbridgeConfigInput } from './config-schema.js';

/** The built-in profiles. */
export const PROFILE_NAMES = ['local', 'hf-spaces', 'hybrid', 'offline'] as const;

/** A built-in profile name. */
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** True when `name` is a built-in profile. */
export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === 'string' && (PROFILE_NAMES as readonly string[]).includes(name);
}

/** Ollama chat model of the local and hybrid profiles. */
const OLLAMA_CHAT = 'llama3.2:3b';
/** Hosted chat model (Inference Providers router). */
const HOSTED_CHAT = 'openai/gpt-oss-20b';
/**
 * Time limits of a hosted answer step, so a question is answered within about 10 s: the first
 * text within 4 s (retries only while they fit in 5 s), no gap over 3 s, the whole answer within
 * 8 s; past any of them the extractive answer is given (below the text already shown, when the
 * stream broke off after its first text).
 */
const HOSTED_ANSWER_LIMITS = { timeoutMs: 4_000, streamIdleTimeoutMs: 3_000, totalTimeoutMs: 8_000, retry: { deadlineMs: 5_000 } };
/**
 * The embedding cache kept next to each profile's store: vectors survive restarts, so re-ingesting
 * an edited document embeds only its changed chunks (an unchanged chunk's vector comes from here).
 */
const LOCAL_EMBEDDING_CACHE = { embeddings: { path: '.ragbridge/embeddings.db' } };
/**
 * Ollama's context window is 2,048 tokens in many installs (the model's Modelfile decides), and it
 * silently drops the start of a longer prompt (the instructions): 1,500 tokens of prompt leave room
 * for the answer.
 */
const OLLAMA_CONTEXT_TOKENS = 1_500;
/** Transformers.js embedder (mean pooling, no prefixes, 384 dims). */
const LOCAL_EMBEDDER = 'Xenova/all-MiniLM-L6-v2';
/** Transformers.js cross-encoder. */
const LOCAL_RERANKER = 'Xenova/ms-marco-MiniLM-L-6-v2';

/**
 * The built-in profiles as written (before defaults). Each documents why it is shaped as it is;
 * every chain ends in something that always works: extractive answers, keyword-only retrieval
 * when no embedder is usable, fused order when no reranker is.
 */
export const BUILT_IN_PROFILES: Readonly<Record<ProfileName, RagbridgeConfigInput>> = {
  /** Everything on this machine: Ollama answers, Transformers.js embeddings and reranking. */
  local: {
    models: {
      answer: {
        chain: [
          // CPU generation is slow and the first call loads the model: a long first-token timeout.
          { backend: 'ollama', model: OLLAMA_CHAT, timeoutMs: 120_000 },
          { backend: 'extractive' },
        ],
      },
      embedder: { chain: [{ backend: 'transformersjs', model: LOCAL_EMBEDDER }] },
      reranker: { chain: [{ backend: 'transformersjs', model: LOCAL_RERANKER }] },
    },
    // One generation and one ONNX inference at a time: more only thrash a laptop's cores.
    resilience: { concurrency: { ollama: 1, transformersjs: 1 } },
    // A CPU writes about 10 tokens a second: 384 keep an answer under a minute.
    budgets: { tokens: { maxOutput: 384, maxContext: OLLAMA_CONTEXT_TOKENS } },
    caches: LOCAL_EMBEDDING_CACHE,
  },

  /**
   * A Hugging Face Space on the free CPU tier (2 vCPUs, 16 GB shared, no GPU): hosted answers and
   * embeddings, a hosted cross-encoder with a small local one behind it, small caches and
   * batches, and the server on 0.0.0.0:7860 as Spaces expect.
   */
  'hf-spaces': {
    models: {
      answer: {
        chain: [
          { backend: 'hf-inference', model: HOSTED_CHAT, options: { reasoningEffort: 'low' }, ...HOSTED_ANSWER_LIMITS },
          { backend: 'extractive' },
        ],
      },
      embedder: { chain: [{ backend: 'hf-inference', model: 'BAAI/bge-small-en-v1.5', options: { maxBatchSize: 16, concurrency: 2 } }] },
      reranker: {
        chain: [
          { backend: 'hf-inference', model: 'cross-encoder/ms-marco-MiniLM-L6-v2', options: { maxBatchSize: 16, concurrency: 2 } },
          { backend: 'transformersjs', model: LOCAL_RERANKER, options: { dtype: 'q8', threads: 2, maxBatchSize: 8 } },
        ],
      },
    },
    retrieval: { candidates: 60, rerankCandidates: 20 },
    storage: { path: 'data/ragbridge.db' },
    resilience: { concurrency: { 'hf-inference': 4, transformersjs: 1 } },
    // Hosted tokens are paid: at most 3,000 of prompt per answer (5 sources of up to 320 tokens, the instructions, a follow-up's turns).
    budgets: { ledger: 'data/usage.db', tokens: { maxContext: 3_000 } },
    // Hosted embeddings are paid per call: their cache lives on the Space's persistent storage with the store.
    caches: { embeddings: { path: 'data/embeddings.db' }, answers: { maxEntries: 200 } },
    server: { host: '0.0.0.0', port: 7860, maxConcurrentRequests: 4, maxUploadMb: 20 },
  },

  /** Hosted answers with a local Ollama behind them; embeddings and reranking stay local. */
  hybrid: {
    models: {
      answer: {
        chain: [
          { backend: 'hf-inference', model: HOSTED_CHAT, options: { reasoningEffort: 'low' }, ...HOSTED_ANSWER_LIMITS },
          { backend: 'ollama', model: OLLAMA_CHAT, timeoutMs: 120_000 },
          { backend: 'extractive' },
        ],
      },
      embedder: { chain: [{ backend: 'transformersjs', model: LOCAL_EMBEDDER }] },
      reranker: { chain: [{ backend: 'transformersjs', model: LOCAL_RERANKER }] },
    },
    resilience: { concurrency: { 'hf-inference': 8, ollama: 1, transformersjs: 1 } },
    // The prompt must fit the smallest context of the answer chain: Ollama's.
    budgets: { tokens: { maxContext: OLLAMA_CONTEXT_TOKENS } },
    caches: LOCAL_EMBEDDING_CACHE,
  },

  /**
   * No network at all: keyword retrieval and extractive answers, plus Transformers.js models only
   * if they are already cached (a missing one fails fast and retrieval stays keyword-only).
   */
  offline: {
    offline: true,
    models: {
      answer: { chain: [{ backend: 'extractive' }] },
      embedder: { chain: [{ backend: 'transformersjs', model: LOCAL_EMBEDDER, options: { allowRemoteModels: false }, retry: false }] },
      reranker: { chain: [{ backend: 'transformersjs', model: LOCAL_RERANKER, options: { allowRemoteModels: false }, retry: false }] },
    },
    resilience: { concurrency: { transformersjs: 1 } },
    caches: LOCAL_EMBEDDING_CACHE,
  },
};
