import type {
  Chunk,
  DocumentStore,
  EmbedderV1,
  EmbedResult,
  RerankerV1,
  RetrievalHit,
  RetrievalReason,
  UsageEvent,
} from '@ragbridge/core-interfaces';
import { KeywordIndex, kthLargest } from './keyword-index.js';
import { definitionPattern, isEditionTerm } from './question-signals.js';
import { ChunkWords } from './chunk-words.js';
import { analyzeQueryGroups } from './text-analysis.js';

/** Options of {@link createRetriever}. */
export interface RetrieverOptions {
  store: DocumentStore;
  /**
   * Dense retrieval runs when an embedder is given (its vectors must be in the store). An embedder
   * that returns no vector for a question leaves that question to keyword search.
   */
  embedder?: EmbedderV1;
  /**
   * Retrieve a question with keywords alone when it cannot be embedded (the embedder throws and
   * the caller did not abort) instead of failing; the result's `queryEmbedFailure` says why.
   * @default false
   */
  keywordFallback?: boolean;
  /** Rescores the top candidates when given. */
  reranker?: RerankerV1;
  /** Keyword and dense candidates considered before fusion. @default 100 */
  candidates?: number;
  /** Candidates sent to the reranker. @default 30 */
  rerankCandidates?: number;
  /** Weight of the document-level match added to each chunk's keyword score. @default 0.35 */
  documentWeight?: number;
  /** Weight of the share of the question's IDF weight a chunk contains. @default 0.5 */
  coverageWeight?: number;
  /** Weight of question word pairs that appear close together in a chunk. @default 0.3 */
  proximityWeight?: number;
  /** Weight of how much of the question the candidate chunks of the same page cover together. @default 0.3 */
  pageWeight?: number;
  /** Weight of the BM25 score of the page's candidate chunks taken together. @default 0.5 */
  pageBm25Weight?: number;
  /** Chunks holding a question term found in at most this many chunks are always candidates. @default 60 */
  rareTermLimit?: number;
  /** BM25 term-frequency saturation. @default 1.2 */
  bm25K1?: number;
  /** BM25 length normalisation. @default 0.75 */
  bm25B?: number;
  /** Score subtracted from table-of-contents chunks (three or more dotted leaders). @default 1 */
  frontMatterPenalty?: number;
  /**
   * Weight of code density (binary and hex tokens) for questions about encodings, opcodes or bit
   * fields, applied to chunks holding the question's rarest term: the answer is usually a table row.
   * @default 1
   */
  encodingWeight?: number;
  /**
   * Weight, in chunk scoring, of years, dates and versions in the question (`2011`, `20211203`,
   * `v1.7`): they name the edition of a document ("the 2019 spec") rather than the words of the
   * answer, so at full weight they pull title pages and prefaces up. Document scoring keeps them
   * at full weight. @default 0.25
   */
  editionWeight?: number;
  /**
   * Bonus for a chunk that defines the term a definition question asks about ("what is X",
   * "what does X mean", "define X"): X at the start of a line, sentence or bullet followed by a
   * colon, an opening parenthesis or a defining verb (is, describes, holds, means, …). @default 0.5
   */
  definitionWeight?: number;
  /** Weight of the share of the question's word trigrams found verbatim in a chunk. @default 2 */
  phraseWeight?: number;
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
  /** Set when the question could not be embedded and was retrieved with keywords alone (`keywordFallback`). */
  queryEmbedFailure?: { error: unknown };
}

/** Finds the chunks that answer a question. */
export interface Retriever {
  retrieve(question: string, options?: RetrieveOptions): Promise<RetrievalResult>;
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
  const coverageWeight = options.coverageWeight ?? 0.5;
  const proximityWeight = options.proximityWeight ?? 0.3;
  const pageWeight = options.pageWeight ?? 0.3;
  const rareTermLimit = options.rareTermLimit ?? 60;
  const pageBm25Weight = options.pageBm25Weight ?? 0.5;
  const bm25K1 = options.bm25K1 ?? 1.2;
  const bm25B = options.bm25B ?? 0.75;
  const rrfK = options.rrfK ?? 60;
  const frontMatterPenalty = options.frontMatterPenalty ?? 1;
  const encodingWeight = options.encodingWeight ?? 1;
  const phraseWeight = options.phraseWeight ?? 2;
  const editionWeight = options.editionWeight ?? 0.25;
  const definitionWeight = options.definitionWeight ?? 0.5;

  let cached: { index: KeywordIndex; revision: string } | undefined;
  /** Chunks read for earlier questions; cleared whenever the store changes. */
  const chunkCache = new Map<string, Chunk>();
  /** Chunks as word ids, for phrase matching and near-duplicate detection. */
  const chunkWords = new ChunkWords();
  const readChunks = async (ids: readonly string[]): Promise<Chunk[]> => {
    const missing = ids.filter((id) => !chunkCache.has(id));
    if (missing.length > 0) {
      if (chunkCache.size > 20_000) chunkCache.clear();
      for (const chunk of await store.getChunks(missing)) chunkCache.set(chunk.id, chunk);
    }
    return ids.flatMap((id) => {
      const chunk = chunkCache.get(id);
      return chunk ? [chunk] : [];
    });
  };
  let loading: Promise<KeywordIndex> | undefined;
  /** The in-memory keyword index, rebuilt when the store changed since it was built. */
  const keywordIndex = async (): Promise<KeywordIndex> => {
    const scan = await store.scanChunkTerms(cached?.revision);
    if (!scan.changed && cached) return cached.index;
    loading ??= Promise.resolve().then(() => {
      const index = new KeywordIndex(scan.rows, scan.documents);
      cached = { index, revision: scan.revision };
      chunkCache.clear();
      chunkWords.clear();
      loading = undefined;
      return index;
    });
    return loading;
  };

  return {
    async retrieve(question, call = {}) {
      const started = performance.now();
      const k = call.k ?? 10;
      const usage: UsageEvent[] = [];
      const groups = analyzeQueryGroups(question);
      const terms = [...new Set(groups.flat())];
      const index = await keywordIndex();
      const n = index.size;
      const df = (term: string): number => index.documentFrequency(term);
      const idf = (term: string): number => Math.log(1 + (n - df(term) + 0.5) / (df(term) + 0.5)) * (isEditionTerm(term) ? editionWeight : 1);
      // A group weighs as its most specific member that occurs; a group that occurs nowhere weighs as a rare term.
      const groupWeight = groups.map((g) => {
        const known = g.filter((t) => df(t) > 0);
        return known.length ? Math.max(...known.map(idf)) : Math.log(1 + n);
      });
      const totalWeight = groupWeight.reduce((a, b) => a + b, 0) || 1;

      // Grouped BM25 over every chunk holding a question term (a compound like `page-table`
      // counts once), then the best candidates plus every chunk holding a rare term.
      const { groups: groupScores, total: bm25, matching } = index.scoreGroups(groups, idf, { k1: bm25K1, b: bm25B });
      // The best `candidates` by BM25 (a selection, not a sort of every match).
      let threshold = -Infinity;
      if (matching.length > candidates) {
        const values = new Float32Array(matching.length);
        for (let i = 0; i < matching.length; i++) values[i] = bm25[matching[i] as number] as number;
        threshold = kthLargest(values, candidates);
      }
      const candidateSet = new Set<number>();
      for (const c of matching) if ((bm25[c] as number) >= threshold && candidateSet.size < candidates) candidateSet.add(c);
      for (const term of terms) {
        if (df(term) > 0 && df(term) <= rareTermLimit) for (const c of index.chunksWith(term)) candidateSet.add(c);
      }
      const docScore = index.scoreDocuments(terms);
      const bestDoc = Math.max(1e-9, ...docScore.values());
      const groupIds = groups.map((g) => g.map((t) => index.termId(t)).filter((id) => id >= 0));
      const candidateList = [...candidateSet];
      // Proximity: consecutive question words found within three positions of each other.
      const nearPairs = index.adjacentGroupPairs(candidateList, groupIds, 3);

      interface Features {
        chunk: number;
        /** The chunk's page (document and page number) as one number. */
        page: number;
        coverage: number;
        proximity: number;
        /** Question groups present in the chunk. */
        groupsPresent: number[];
      }
      const features: Features[] = candidateList.map((c, ci) => {
        const groupsPresent: number[] = [];
        let covered = 0;
        groupScores.forEach((scores, gi) => {
          if ((scores[c] as number) > 0) {
            groupsPresent.push(gi);
            covered += groupWeight[gi] as number;
          }
        });
        const near = nearPairs[ci] as number;
        return {
          chunk: c,
          page: index.pageKeys[c] as number,
          coverage: covered / totalWeight,
          proximity: groups.length > 1 ? near / (groups.length - 1) : 0,
          groupsPresent,
        };
      });
      // Page context: the candidate chunks of a page together — how much of the question they
      // cover, and their BM25 as one text (listings spread over several chunks).
      const pageGroups = new Map<number, Set<number>>();
      const pageChunks = new Map<number, number[]>();
      for (const f of features) {
        const set = pageGroups.get(f.page) ?? new Set<number>();
        for (const gi of f.groupsPresent) set.add(gi);
        pageGroups.set(f.page, set);
        const list = pageChunks.get(f.page);
        if (list) list.push(f.chunk);
        else pageChunks.set(f.page, [f.chunk]);
      }
      const pageCoverage = new Map<number, number>();
      for (const [page, set] of pageGroups) {
        let weight = 0;
        for (const gi of set) weight += groupWeight[gi] as number;
        pageCoverage.set(page, weight / totalWeight);
      }
      const pageBm25 = new Map<number, number>();
      for (const [page, chunks] of pageChunks) {
        // Sum of the chunks' group scores, damped so a page is not rewarded just for length.
        let score = 0;
        for (const scores of groupScores) {
          let best = 0;
          let sum = 0;
          for (const c of chunks) {
            const s = scores[c] as number;
            sum += s;
            if (s > best) best = s;
          }
          score += best + 0.25 * sum;
        }
        pageBm25.set(page, score);
      }
      const bestPage = Math.max(1e-9, ...pageBm25.values());
      const bestBm25 = Math.max(1e-9, ...features.map((f) => bm25[f.chunk] as number));
      // Encoding questions: the rarest question term in a code-dense chunk (a table row) is the answer's shape.
      const asksEncoding = /\b(encod\w*|opcode|funct\d|bit patterns?|binary|hex\w*|bits?\s+\d|machine code)\b/i.test(question);
      const rarest = terms.filter((t) => df(t) > 0).sort((a, b) => df(a) - df(b))[0];
      const rarestChunks = new Set(rarest && asksEncoding ? index.chunksWith(rarest) : []);
      const keyword = features
        .map((f) => ({
          id: index.ids[f.chunk] as string,
          coverage: f.coverage,
          score:
            (bm25[f.chunk] as number) / bestBm25 +
            documentWeight * ((docScore.get(index.docIds[f.chunk] as string) ?? 0) / bestDoc) +
            coverageWeight * f.coverage +
            pageWeight * (pageCoverage.get(f.page) ?? 0) +
            pageBm25Weight * ((pageBm25.get(f.page) ?? 0) / bestPage) +
            proximityWeight * f.proximity +
            (rarestChunks.has(f.chunk) ? encodingWeight * Math.min(1, (index.codeDensity[f.chunk] as number) * 4) : 0),
        }))
        .sort((a, b) => b.score - a.score);
      // Tables of contents (dotted leaders) repeat the words of every section title but answer
      // nothing: push them down.
      const pool = keyword.slice(0, Math.ceil(Math.max(k * 3, options.rerankCandidates ?? 30) * 1.6));
      const chunkRows = new Map<string, Chunk>((await readChunks(pool.map((h) => h.id))).map((c) => [c.id, c]));
      // Phrases: word trigrams of the question (stopwords and single letters included, as in
      // "the A and D bits") found verbatim in the chunk.
      const pooled = pool.flatMap((hit) => {
        const chunk = chunkRows.get(hit.id);
        return chunk ? [{ hit, chunk }] : [];
      });
      const phrases = phraseWeight > 0 ? chunkWords.phraseScores(question, pooled.map((p) => p.chunk)) : [];
      // "What is vtype?": a chunk that states what the term is ("vtype: Vector Type", "vtype
      // describes …") answers it better than one that only uses the term.
      const defines = definitionPattern(question);
      pooled.forEach(({ hit, chunk }, i) => {
        const leaders = (chunk.text.match(/(?:\.\s?){5,}/g) ?? []).length;
        if (leaders >= 3) hit.score -= frontMatterPenalty;
        hit.score += phraseWeight * (phrases[i] ?? 0);
        if (defines?.test(chunk.text)) hit.score += definitionWeight;
      });
      keyword.sort((a, b) => b.score - a.score);
      const coverageOf = new Map(keyword.map((k) => [k.id, k.coverage]));
      const keywordDone = performance.now();

      let dense: Array<{ id: string; score: number }> = [];
      let queryEmbedFailure: { error: unknown } | undefined;
      if (options.embedder) {
        let embedded: EmbedResult | undefined;
        try {
          embedded = await options.embedder.embed({ texts: [question], inputType: 'query', ...(call.abortSignal && { abortSignal: call.abortSignal }) });
        } catch (error) {
          if (!options.keywordFallback || call.abortSignal?.aborted) throw error;
          queryEmbedFailure = { error };
        }
        if (embedded) {
          usage.push(embedded.usage);
          const vector = embedded.embeddings[0];
          // No vector (an embedder standing in for a failing model may give none): keyword search alone.
          if (vector) dense = await store.searchVectors({ identity: options.embedder.identity, vector, limit: candidates });
        }
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
      for (const chunk of await readChunks(missing)) chunkRows.set(chunk.id, chunk);
      ranked = ranked.filter(([id]) => chunkRows.has(id));

      // Near-duplicates (repeated boilerplate, overlapping chunks) keep only their best copy.
      const kept: Array<{ chunk: Chunk; score: number; reason: RetrievalReason }> = [];
      const seen: Array<{ chunk: Chunk; size: number }> = [];
      for (const [id, entry] of ranked) {
        const chunk = chunkRows.get(id) as Chunk;
        const size = chunkWords.shingleCount(chunk);
        // Sets whose sizes differ by more than 1/0.8 cannot reach 0.8 Jaccard: skip the comparison.
        if (seen.some((other) => other.size * 0.8 <= size && size * 0.8 <= other.size && chunkWords.similarAbove(chunk, other.chunk, 0.8))) continue;
        seen.push({ chunk, size });
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
      let coverage = 0;
      for (const hit of hits.slice(0, 3)) coverage = Math.max(coverage, coverageOf.get(hit.chunk.id) ?? 0);
      const unknownTerms = terms.filter((t) => df(t) === 0);
      const done = performance.now();
      return {
        hits,
        evidence: { coverage, terms, unknownTerms },
        usage,
        timings: { keyword: keywordDone - started, dense: denseDone - keywordDone, rerank: rerankMs, total: done - started },
        ...(queryEmbedFailure && { queryEmbedFailure }),
      };
    },
  };
}
