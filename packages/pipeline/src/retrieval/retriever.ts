import type {
  Chunk,
  DocumentStore,
  EmbedderV1,
  RerankerV1,
  RetrievalHit,
  RetrievalReason,
  UsageEvent,
} from '@ragbridge/core-interfaces';
import { analyze, analyzeQuery } from './text-analysis.js';

/** Options of {@link createRetriever}. */
export interface RetrieverOptions {
  store: DocumentStore;
  /** Dense retrieval runs when an embedder is given (its vectors must be in the store). */
  embedder?: EmbedderV1;
  /** Rescores the top candidates when given. */
  reranker?: RerankerV1;
  /** Keyword and dense candidates considered before fusion. @default 100 */
  candidates?: number;
  /** Candidates sent to the reranker. @default 30 */
  rerankCandidates?: number;
  /** Weight of the document-level match added to each chunk's keyword score. @default 0.35 */
  documentWeight?: number;
  /** Reciprocal rank fusion constant. @default 60 */
  rrfK?: number;
}

/** Options of one retrieval. */
export interface RetrieveOptions {
  /** Hits returned. @default 10 */
  k?: number;
  abortSignal?: AbortSignal;
}

/** How well the best hits cover the question; the answerer refuses when it is weak. */
export interface RetrievalEvidence {
  /** Share of the question's IDF weight found in the best-covering top hit, in [0, 1]. */
  coverage: number;
  /** Analyzed question terms. */
  terms: string[];
  /** Terms found in no chunk at all. */
  unknownTerms: string[];
}

/** The result of one retrieval. */
export interface RetrievalResult {
  hits: RetrievalHit[];
  evidence: RetrievalEvidence;
  usage: UsageEvent[];
  /** Milliseconds spent per stage. */
  timings: { keyword: number; dense: number; rerank: number; total: number };
}

/** Finds the chunks that answer a question. */
export interface Retriever {
  retrieve(question: string, options?: RetrieveOptions): Promise<RetrievalResult>;
}

function shingles(text: string): Set<string> {
  const words = text.toLowerCase().split(/\W+/).filter(Boolean);
  const out = new Set<string>();
  for (let i = 0; i + 3 <= words.length; i++) out.add(words.slice(i, i + 3).join(' '));
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * Hybrid retrieval: BM25 over chunks (boosted by how well the whole document matches), dense
 * search when an embedder is configured, reciprocal rank fusion of the two, an optional reranker,
 * and near-duplicate removal. Each hit says why it was found.
 */
export function createRetriever(options: RetrieverOptions): Retriever {
  const { store } = options;
  const candidates = options.candidates ?? 100;
  const documentWeight = options.documentWeight ?? 0.35;
  const rrfK = options.rrfK ?? 60;

  return {
    async retrieve(question, call = {}) {
      const started = performance.now();
      const k = call.k ?? 10;
      const usage: UsageEvent[] = [];
      const terms = analyzeQuery(question);
      const stats = await store.termFrequencies(terms);
      const idf = (term: string): number => {
        const df = stats.documentFrequency[term] ?? 0;
        return Math.log(1 + (stats.chunks - df + 0.5) / (df + 0.5));
      };

      // Keyword: chunk BM25 plus a share of the document's BM25, both scaled to the best score.
      const [chunkHits, docHits] = await Promise.all([
        store.searchChunks({ terms, limit: candidates }),
        store.searchDocuments({ terms, limit: 50 }),
      ]);
      const bestChunk = chunkHits[0]?.score ?? 1;
      const bestDoc = docHits[0]?.score ?? 1;
      const docScore = new Map(docHits.map((d) => [d.id, d.score / bestDoc]));
      const chunkRows = new Map((await store.getChunks(chunkHits.map((h) => h.id))).map((c) => [c.id, c]));
      const keyword = chunkHits
        .map((hit) => {
          const chunk = chunkRows.get(hit.id);
          const boost = chunk ? (docScore.get(chunk.docId) ?? 0) : 0;
          return { id: hit.id, score: hit.score / bestChunk + documentWeight * boost };
        })
        .sort((a, b) => b.score - a.score);
      const keywordDone = performance.now();

      let dense: Array<{ id: string; score: number }> = [];
      if (options.embedder) {
        const embedded = await options.embedder.embed({ texts: [question], inputType: 'query', ...(call.abortSignal && { abortSignal: call.abortSignal }) });
        usage.push(embedded.usage);
        const vector = embedded.embeddings[0];
        if (vector) dense = await store.searchVectors({ identity: options.embedder.identity, vector, limit: candidates });
      }
      const denseDone = performance.now();

      // Fuse: with one list, its own order; with two, reciprocal rank fusion.
      const fused = new Map<string, { score: number; inKeyword: boolean; inDense: boolean }>();
      const addList = (list: Array<{ id: string; score: number }>, which: 'keyword' | 'dense'): void => {
        list.forEach((hit, rank) => {
          const entry = fused.get(hit.id) ?? { score: 0, inKeyword: false, inDense: false };
          entry.score += dense.length && keyword.length ? 1 / (rrfK + rank + 1) : hit.score;
          if (which === 'keyword') entry.inKeyword = true;
          else entry.inDense = true;
          fused.set(hit.id, entry);
        });
      };
      addList(keyword, 'keyword');
      addList(dense, 'dense');
      let ranked = [...fused.entries()].sort((a, b) => b[1].score - a[1].score);
      const missing = ranked.map(([id]) => id).filter((id) => !chunkRows.has(id));
      for (const chunk of await store.getChunks(missing)) chunkRows.set(chunk.id, chunk);
      ranked = ranked.filter(([id]) => chunkRows.has(id));

      // Near-duplicates (repeated boilerplate, overlapping chunks) keep only their best copy.
      const kept: Array<{ chunk: Chunk; score: number; reason: RetrievalReason }> = [];
      const seen: Array<Set<string>> = [];
      for (const [id, entry] of ranked) {
        const chunk = chunkRows.get(id) as Chunk;
        const sh = shingles(chunk.text);
        if (seen.some((other) => jaccard(sh, other) > 0.8)) continue;
        seen.push(sh);
        kept.push({ chunk, score: entry.score, reason: entry.inKeyword && entry.inDense ? 'both' : entry.inKeyword ? 'keyword' : 'dense' });
        if (kept.length >= Math.max(k * 3, options.rerankCandidates ?? 30)) break;
      }

      let hits: RetrievalHit[] = kept.map((h) => ({ chunk: h.chunk, score: h.score, reason: h.reason }));
      let rerankMs = 0;
      if (options.reranker && hits.length > 0) {
        const rerankStart = performance.now();
        const pool = hits.slice(0, options.rerankCandidates ?? 30);
        const result = await options.reranker.rerank({
          query: question,
          texts: pool.map((h) => [...h.chunk.sectionPath.slice(-1), h.chunk.text].join('\n')),
          ...(call.abortSignal && { abortSignal: call.abortSignal }),
        });
        usage.push(result.usage);
        hits = pool
          .map((h, i) => ({ ...h, rerankScore: result.scores[i] ?? 0 }))
          .sort((a, b) => (b.rerankScore ?? 0) - (a.rerankScore ?? 0));
        rerankMs = performance.now() - rerankStart;
      }
      hits = hits.slice(0, k);

      // Evidence: the best IDF-weighted coverage of the question by one of the top hits.
      const totalWeight = terms.reduce((sum, t) => sum + idf(t), 0);
      let coverage = 0;
      for (const hit of hits.slice(0, 3)) {
        const present = new Set(analyze(`${hit.chunk.sectionPath.join(' ')} ${hit.chunk.text}`));
        const weight = terms.filter((t) => present.has(t)).reduce((sum, t) => sum + idf(t), 0);
        coverage = Math.max(coverage, totalWeight > 0 ? weight / totalWeight : 0);
      }
      const unknownTerms = terms.filter((t) => (stats.documentFrequency[t] ?? 0) === 0);
      const done = performance.now();
      return {
        hits,
        evidence: { coverage, terms, unknownTerms },
        usage,
        timings: { keyword: keywordDone - started, dense: denseDone - keywordDone, rerank: rerankMs, total: done - started },
      };
    },
  };
}
