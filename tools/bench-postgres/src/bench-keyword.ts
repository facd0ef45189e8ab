import type { DocumentStoreV2, KeywordSearchV1 } from '@ragbridge/core-interfaces';
import { createRetriever, RETRIEVER_DEFAULTS } from '@ragbridge/pipeline';

/** Keyword latencies over a question set, in ms. */
export interface KeywordLatencies {
  /** The retriever's keyword stage (`timings.keyword`): the store call plus re-scoring with the signals. */
  retrieverKeyword: number[];
  /** The store's `keywordCandidates` alone, as the retriever called it. */
  storeCall: number[];
  /** Candidates the store returned per call. */
  candidates: number[];
  /** Calls the retriever made per question (1 expected). */
  callsPerQuestion: number;
}

/** A store whose keyword search records how long each call took (everything else is the store's own). */
function timedStore(store: DocumentStoreV2, calls: Array<{ ms: number; candidates: number }>): DocumentStoreV2 {
  const keywordSearch: KeywordSearchV1 = {
    specificationVersion: 'v1',
    async keywordCandidates(query) {
      const started = performance.now();
      const found = await store.keywordSearch.keywordCandidates(query);
      calls.push({ ms: performance.now() - started, candidates: found.chunks.length });
      return found;
    },
  };
  return new Proxy(store, { get: (target, property) => (property === 'keywordSearch' ? keywordSearch : Reflect.get(target, property, target)) });
}

/**
 * Asks every question with `createRetriever({ store })` (no embedder, k 10, the retriever's default
 * candidates 100 and rare-term limit 60): one warm-up pass, then `passes` measured passes, each with
 * a fresh retriever so no chunk text is served from the previous pass's in-process cache.
 */
export async function measureKeyword(store: DocumentStoreV2, questions: readonly string[], passes: number): Promise<KeywordLatencies> {
  const calls: Array<{ ms: number; candidates: number }> = [];
  const warm = createRetriever({ store: timedStore(store, []) });
  for (const question of questions) await warm.retrieve(question, { k: RETRIEVER_DEFAULTS.k });
  const retrieverKeyword: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const retriever = createRetriever({ store: timedStore(store, calls) });
    for (const question of questions) retrieverKeyword.push((await retriever.retrieve(question, { k: RETRIEVER_DEFAULTS.k })).timings.keyword);
  }
  return {
    retrieverKeyword,
    storeCall: calls.map((c) => c.ms),
    candidates: calls.map((c) => c.candidates),
    callsPerQuestion: calls.length / retrieverKeyword.length,
  };
}
