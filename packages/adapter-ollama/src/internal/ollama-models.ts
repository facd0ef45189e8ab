import type { EmbeddingPooling } from '@ragbridge/core-interfaces';

/**
 * A model name as Ollama resolves it: lower-case, the default registry and `library/` namespace
 * dropped, `:latest` added when there is no tag. `Llama3.2` and `llama3.2:latest` are one model.
 */
export function canonicalModelName(name: string): string {
  let n = name.trim().toLowerCase();
  n = n.replace(/^(https?:\/\/)?registry\.ollama\.ai\//, '').replace(/^library\//, '');
  const lastSlash = n.lastIndexOf('/');
  if (!n.slice(lastSlash + 1).includes(':')) n += ':latest';
  return n;
}

/** Splits a canonical name into the model and its tag: `nomic-embed-text:latest` → [`nomic-embed-text`, `latest`]. */
export function splitModelTag(name: string): { base: string; tag: string } {
  const canonical = canonicalModelName(name);
  const at = canonical.lastIndexOf(':');
  return { base: canonical.slice(0, at), tag: canonical.slice(at + 1) };
}

/** What ragbridge knows about an embedding model of the Ollama library. */
export interface KnownOllamaEmbeddingModel {
  /** Native vector length. */
  dimensions: number;
  pooling: EmbeddingPooling;
  /** The prefix the model was trained with for search queries. */
  queryPrefix?: string;
  /** The prefix the model was trained with for documents. */
  documentPrefix?: string;
}

/**
 * Defaults for well-known embedding models, by name without tag (every tag of these models has
 * the same vector length). Prefixes are the ones each model card asks for; without them
 * retrieval quality drops noticeably (nomic-embed-text, embeddinggemma) or slightly (mxbai).
 */
export const KNOWN_OLLAMA_EMBEDDING_MODELS: Readonly<Record<string, KnownOllamaEmbeddingModel>> = {
  'nomic-embed-text': { dimensions: 768, pooling: 'mean', queryPrefix: 'search_query: ', documentPrefix: 'search_document: ' },
  'mxbai-embed-large': { dimensions: 1024, pooling: 'cls', queryPrefix: 'Represent this sentence for searching relevant passages: ' },
  'all-minilm': { dimensions: 384, pooling: 'mean' },
  'bge-m3': { dimensions: 1024, pooling: 'cls' },
  embeddinggemma: { dimensions: 768, pooling: 'mean', queryPrefix: 'task: search result | query: ', documentPrefix: 'title: none | text: ' },
};

/** The known defaults for `model` (any tag), if any. */
export function knownEmbeddingModel(model: string): KnownOllamaEmbeddingModel | undefined {
  return KNOWN_OLLAMA_EMBEDDING_MODELS[splitModelTag(model).base];
}
