import type { EmbeddingPooling } from '@ragbridge/core-interfaces';

/** What the embedders assume about a model when the options do not say. */
export interface KnownEmbeddingModel {
  pooling: EmbeddingPooling;
  dimensions: number;
  /** Text the model card asks to put before search queries. */
  queryPrefix?: string;
  /** Text the model card asks to put before passages. */
  documentPrefix?: string;
}

const BGE_QUERY = 'Represent this sentence for searching relevant passages: ';

/**
 * Pooling, vector size and the query/document prefixes of common embedding models, from their
 * model cards. The embedders use an entry for defaults (options override each field); a model
 * not listed gets pooling `unknown`, no prefixes, and its size from the first answer.
 */
export const KNOWN_EMBEDDING_MODELS: Readonly<Record<string, Readonly<KnownEmbeddingModel>>> = {
  'BAAI/bge-small-en-v1.5': { pooling: 'cls', dimensions: 384, queryPrefix: BGE_QUERY },
  'BAAI/bge-base-en-v1.5': { pooling: 'cls', dimensions: 768, queryPrefix: BGE_QUERY },
  'BAAI/bge-large-en-v1.5': { pooling: 'cls', dimensions: 1024, queryPrefix: BGE_QUERY },
  'BAAI/bge-m3': { pooling: 'cls', dimensions: 1024 },
  'mixedbread-ai/mxbai-embed-large-v1': { pooling: 'cls', dimensions: 1024, queryPrefix: BGE_QUERY },
  'sentence-transformers/all-MiniLM-L6-v2': { pooling: 'mean', dimensions: 384 },
  'sentence-transformers/all-mpnet-base-v2': { pooling: 'mean', dimensions: 768 },
  'intfloat/e5-small-v2': { pooling: 'mean', dimensions: 384, queryPrefix: 'query: ', documentPrefix: 'passage: ' },
  'intfloat/e5-base-v2': { pooling: 'mean', dimensions: 768, queryPrefix: 'query: ', documentPrefix: 'passage: ' },
  'intfloat/e5-large-v2': { pooling: 'mean', dimensions: 1024, queryPrefix: 'query: ', documentPrefix: 'passage: ' },
  'intfloat/multilingual-e5-small': { pooling: 'mean', dimensions: 384, queryPrefix: 'query: ', documentPrefix: 'passage: ' },
  'intfloat/multilingual-e5-base': { pooling: 'mean', dimensions: 768, queryPrefix: 'query: ', documentPrefix: 'passage: ' },
  'intfloat/multilingual-e5-large': { pooling: 'mean', dimensions: 1024, queryPrefix: 'query: ', documentPrefix: 'passage: ' },
  'nomic-ai/nomic-embed-text-v1.5': {
    pooling: 'mean',
    dimensions: 768,
    queryPrefix: 'search_query: ',
    documentPrefix: 'search_document: ',
  },
};
