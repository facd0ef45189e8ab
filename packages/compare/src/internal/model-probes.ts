import type { Chunk, DocumentStore, EmbedderV1, RerankerV1, UsageEvent } from '@ragbridge/core-interfaces';
import { TERMINAL_BACKENDS } from '@ragbridge/runtime';

// The comparison's measurements of one model part alone, through the runtime's own models
// (`runtime.models`: the pipeline's objects, with their caches, fallback chains and cost monitor).

/** The text the pipeline gives a model for a chunk: its innermost heading, then its text (as `indexVectors` and the retriever's reranking build it). */
export function chunkModelText(chunk: Chunk): string {
  return [...chunk.sectionPath.slice(-1), chunk.text].join('\n');
}

/**
 * A side's embedder alone: the question embedded as a query, and the ids of the `k` nearest chunks
 * among the vectors of that embedder's identity. Rejects when the embedder chain fails.
 */
export async function denseNeighbours(embedder: EmbedderV1, store: DocumentStore, question: string, k: number): Promise<{ ids: string[]; usage: UsageEvent }> {
  const { embeddings, usage } = await embedder.embed({ texts: [question], inputType: 'query' });
  const vector = embeddings[0];
  if (!vector) throw new Error(`The embedder ${embedder.modelId} returned no vector for the question`);
  const nearest = await store.vectorSearch.vectorCandidates({ identity: embedder.identity, vector, limit: k });
  return { ids: nearest.map((hit) => hit.id), usage };
}

/**
 * A side's reranker alone on the given candidate texts. `scores` is `null` when the chain's last
 * step, `fused-order`, served: its scores only keep the given order, they say nothing about relevance.
 */
export async function scoreCandidates(reranker: RerankerV1, query: string, texts: readonly string[]): Promise<{ scores: number[] | null; usage: UsageEvent }> {
  const { scores, usage } = await reranker.rerank({ query, texts: [...texts] });
  return { scores: usage.backend === TERMINAL_BACKENDS.reranker ? null : [...scores], usage };
}
