/** Where a backend runs: `local` on this machine (no network, no cost), `hosted` at a service that may charge. */
export type BackendLocation = 'local' | 'hosted';

/** What the backends table says about one backend. */
export interface BackendInfo {
  /** Where calls to it run. */
  location: BackendLocation;
  /**
   * The model part whose chains it ends when it is a terminal step: not a model, it never fails,
   * so a chain ending in it always answers. Absent for model backends.
   */
  terminalFor?: 'answer' | 'embedder' | 'reranker';
}

/**
 * Every backend name a model of ragbridge reports (a model's and its usage events' `backend`),
 * where it runs, and the terminal steps. The one table other packages ask: the resilience layer
 * (which steps are local), the cost monitor (which calls are free), the configuration (which steps
 * run on this machine when they do not say) and the runtime (what ends each chain).
 */
export const BACKENDS = {
  /** Hugging Face Inference Providers (the router): chat, embeddings, text classification. */
  'hf-inference-providers': { location: 'hosted' },
  /** A Text Embeddings Inference server (self-hosted or an Inference Endpoint). */
  'hf-tei': { location: 'hosted' },
  /** A local Ollama server. */
  ollama: { location: 'local' },
  /** Transformers.js (ONNX Runtime) in this process. */
  transformersjs: { location: 'local' },
  /** The extractive answer: quoted source sentences, no model. */
  extractive: { location: 'local', terminalFor: 'answer' },
  /** Keyword (BM25) retrieval only, for a question whose query could not be embedded. */
  keyword: { location: 'local', terminalFor: 'embedder' },
  /** The fused keyword/dense order, kept when no reranker answers. */
  'fused-order': { location: 'local', terminalFor: 'reranker' },
} as const satisfies Record<string, BackendInfo>;

/** A backend name from {@link BACKENDS}. */
export type BackendName = keyof typeof BACKENDS;

/** The backends from {@link BACKENDS} that run on this machine. */
export const LOCAL_BACKENDS: readonly BackendName[] = (Object.keys(BACKENDS) as BackendName[]).filter(
  (name) => BACKENDS[name].location === 'local',
);

/** Whether `backend` runs on this machine; a name not in {@link BACKENDS} counts as hosted (it may cost money). */
export function isLocalBackend(backend: string): boolean {
  return Object.hasOwn(BACKENDS, backend) && BACKENDS[backend as BackendName].location === 'local';
}

/** A model part: the answer generator, the embedder or the reranker. */
export type ChainPart = NonNullable<BackendInfo['terminalFor']>;

/** The terminal step of each model part's chains (the backend its last, never-failing step reports), from {@link BACKENDS}. */
export const TERMINAL_BACKENDS: Readonly<Record<ChainPart, BackendName>> = Object.fromEntries(
  (Object.keys(BACKENDS) as BackendName[]).flatMap((name) => {
    const info: BackendInfo = BACKENDS[name];
    return info.terminalFor ? [[info.terminalFor, name]] : [];
  }),
) as Record<ChainPart, BackendName>;
