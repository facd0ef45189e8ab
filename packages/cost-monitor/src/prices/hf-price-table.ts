import type { PriceTable } from './price-book.js';

const BACKEND = 'hf-inference-providers';
const GROQ = 'https://groq.com/pricing';
const CEREBRAS = 'https://www.cerebras.ai/pricing';
const TOGETHER = 'https://www.together.ai/pricing';

/**
 * A small table of Hugging Face Inference Providers chat prices, in USD per million tokens, per
 * provider. Hugging Face bills routed requests at the provider's own rate with no markup
 * (https://huggingface.co/docs/inference-providers/pricing), so the numbers are the providers'
 * list prices.
 *
 * Written on 2026-11-25 from the provider pricing pages named in each row as the author knew them;
 * they were NOT re-checked against the live pages that day. Prices change: verify before relying
 * on them, override them in the monitor's `prices.overrides`, or build a current table from the
 * router's catalog with `pricesFromHfRouterCatalog()`.
 *
 * Not listed on purpose: the `hf-inference` provider (billed by compute time × hardware price,
 * not per token) and embedding / reranking models; their calls report an unknown price until you
 * add an override.
 */
export const HF_INFERENCE_PROVIDERS_PRICES: PriceTable = {
  asOf: '2026-11-25',
  source:
    'provider pricing pages (groq.com/pricing, cerebras.ai/pricing, together.ai/pricing) as of 2026-11-25, ' +
    'passed through by Hugging Face without markup; not re-checked live: verify before relying on it',
  prices: [
    { backend: BACKEND, modelId: 'openai/gpt-oss-20b', provider: 'groq', inputPerMillion: 0.1, outputPerMillion: 0.5, source: GROQ },
    { backend: BACKEND, modelId: 'openai/gpt-oss-20b', provider: 'together', inputPerMillion: 0.05, outputPerMillion: 0.2, source: TOGETHER },
    { backend: BACKEND, modelId: 'openai/gpt-oss-120b', provider: 'groq', inputPerMillion: 0.15, outputPerMillion: 0.75, source: GROQ },
    { backend: BACKEND, modelId: 'openai/gpt-oss-120b', provider: 'cerebras', inputPerMillion: 0.25, outputPerMillion: 0.69, source: CEREBRAS },
    { backend: BACKEND, modelId: 'openai/gpt-oss-120b', provider: 'together', inputPerMillion: 0.15, outputPerMillion: 0.6, source: TOGETHER },
    { backend: BACKEND, modelId: 'meta-llama/Llama-3.1-8B-Instruct', provider: 'cerebras', inputPerMillion: 0.1, outputPerMillion: 0.1, source: CEREBRAS },
    { backend: BACKEND, modelId: 'meta-llama/Llama-3.1-8B-Instruct', provider: 'groq', inputPerMillion: 0.05, outputPerMillion: 0.08, source: GROQ },
    { backend: BACKEND, modelId: 'meta-llama/Llama-3.3-70B-Instruct', provider: 'cerebras', inputPerMillion: 0.85, outputPerMillion: 1.2, source: CEREBRAS },
    { backend: BACKEND, modelId: 'meta-llama/Llama-3.3-70B-Instruct', provider: 'groq', inputPerMillion: 0.59, outputPerMillion: 0.79, source: GROQ },
    { backend: BACKEND, modelId: 'meta-llama/Llama-3.3-70B-Instruct', provider: 'together', inputPerMillion: 0.88, outputPerMillion: 0.88, source: TOGETHER },
  ],
};
