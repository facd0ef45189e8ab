import type { EmbedderIdentity, EmbeddingPooling } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { KNOWN_EMBEDDING_MODELS, type KnownEmbeddingModel } from '../known-embedding-models.js';

/** Options every embedder takes that decide which vector a text gets. */
export const embeddingIdentityOptions = {
  /** Model id, e.g. `BAAI/bge-small-en-v1.5`; part of the identity caches key vectors by. */
  model: z.string().min(1).optional(),
  /** Model revision the server runs (TEI `--revision`); part of the identity. @default 'unknown' */
  revision: z.string().min(1).optional(),
  /**
   * How the model pools token vectors; part of the identity. Token-level answers are pooled
   * this way (mean when `unknown`). @default from {@link KNOWN_EMBEDDING_MODELS}, else 'unknown'
   */
  pooling: z.enum(['mean', 'cls', 'last-token', 'none', 'unknown']).optional(),
  /** Ask for (and guarantee) unit-length vectors. @default true */
  normalize: z.boolean().optional(),
  /**
   * Cut texts longer than the model's input window instead of failing. `false` makes such texts
   * fail with BadInputError, which the Embedder contract does not allow: use it only to find
   * over-long chunks. @default true
   */
  truncate: z.boolean().optional(),
  /** Which end of a long text is kept: `right` cuts the end, `left` the start. @default 'right' */
  truncationDirection: z.enum(['right', 'left']).optional(),
  /** Put before every query (`inputType: 'query'`); `''` for none. @default from {@link KNOWN_EMBEDDING_MODELS} */
  queryPrefix: z.string().optional(),
  /** Put before every document; `''` for none. @default from {@link KNOWN_EMBEDDING_MODELS} */
  documentPrefix: z.string().optional(),
};

type IdentityOptions = { [K in keyof typeof embeddingIdentityOptions]?: z.output<(typeof embeddingIdentityOptions)[K]> };

/** The identity, fixed at construction, and the input-handling choices that go with it. */
export interface ResolvedEmbedding {
  identity: EmbedderIdentity;
  known: KnownEmbeddingModel | undefined;
  truncate: boolean;
  /** Which part of a text truncation keeps. */
  keep: 'start' | 'end';
}

/** Builds the identity from the options, filling gaps from the known-model table. */
export function embedderIdentity(provider: string, options: IdentityOptions, defaultModel: string): ResolvedEmbedding {
  const modelId = options.model ?? defaultModel;
  const known = KNOWN_EMBEDDING_MODELS[modelId];
  const queryPrefix = options.queryPrefix ?? known?.queryPrefix ?? '';
  const documentPrefix = options.documentPrefix ?? known?.documentPrefix ?? '';
  const pooling: EmbeddingPooling = options.pooling ?? known?.pooling ?? 'unknown';
  const identity: EmbedderIdentity = {
    provider,
    modelId,
    revision: options.revision ?? 'unknown',
    pooling,
    normalized: options.normalize ?? true,
    ...(queryPrefix && { queryPrefix }),
    ...(documentPrefix && { documentPrefix }),
  };
  return { identity, known, truncate: options.truncate ?? true, keep: options.truncationDirection === 'left' ? 'end' : 'start' };
}
