import type { BackendName, HttpFailure } from '@ragbridge/core-interfaces';

/** `backend` of the Inference Providers chat model and of the hf-inference embedder and reranker. */
export const HF_BACKEND = 'hf-inference-providers' satisfies BackendName;

/** `backend` of the Text Embeddings Inference embedder and reranker. */
export const TEI_BACKEND = 'hf-tei' satisfies BackendName;

/** Advice in errors from Hugging Face hosted APIs. */
export const HF_HINTS: NonNullable<HttpFailure['hints']> = {
  auth: 'Check HF_TOKEN: it must be valid, have the "Make calls to Inference Providers" permission, and gated models need their access granted on the model page.',
  payment: 'The Inference Providers credits are used up: add pre-paid credits or a PRO subscription at https://huggingface.co/settings/billing, or switch this model part to a local backend.',
  notFound:
    'Check the model id and that an Inference Provider serves it for this task (https://huggingface.co/models?inference_provider=all); a `:provider` suffix or `provider` option picks one that does.',
};

/** Advice in errors from a Text Embeddings Inference server. */
export const TEI_HINTS: NonNullable<HttpFailure['hints']> = {
  auth: 'The TEI server was started with --api-key (or is an Inference Endpoint): pass apiKey.',
  notFound: 'Check baseUrl: it should be the TEI server root (the adapter calls /info, /embed and /rerank under it).',
};
