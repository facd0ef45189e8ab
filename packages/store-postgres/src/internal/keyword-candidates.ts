import { KEYWORD_MATCH_BUDGET, planKeywordFetch, throwIfAborted, type ChunkTerms, type DocumentTerms, type KeywordCandidates, type KeywordCandidatesQuery, type KeywordCollectionStats } from '@ragbridge/core-interfaces';
import type pg from 'pg';
import type { DatabaseTarget } from './database-errors.js';
import type { StoreTables } from './sql-names.js';
import { anyTermQuery, indexableTerm, quoteLexeme } from './text-search-literals.js';

// How keyword candidates are chosen, and why (bench/keyword-bench.ts; Zipf corpus, questions of 5
// terms drawn from one chunk):
//
// A chunk's BM25 needs each query term's frequency in it, which PostgreSQL can only read from the
// chunk's row (the GIN index says which chunks hold a term, not how often). Reading a matching row
// and its tsvector filtered to the query's terms cost ~5-10 µs on an idle machine, so ranking every
// match of a typical question (38,000 chunks at 100k) would take hundreds of milliseconds (exact
// ranking of all matches measured p50 2.1 s). A posting table (term, chunk, tf) read by index-only
// scans was ~20× cheaper per match but still too slow unbounded (p50 150 ms exact), 3× the chunks
// table on disk (1.4 GB for 100k chunks) and 3× slower to ingest; so there is none.
//
// Instead terms are fetched rarest first through the GIN index while the chunks holding them add up
// to at most MATCH_BUDGET (terms held by at most `rareTermLimit` chunks are fetched whatever the
// budget: their chunks are always returned). Each fetched chunk is scored by grouped BM25 over ALL
// the question's terms, common ones included (their frequencies come from the same row read), so
// common terms still order the candidates; they only do not bring chunks of their own. Rare terms
// carry most of BM25's weight (idf), so the best chunks of a typical question hold one of them: the
// 100 best held 87.5% of the exact BM25 top 100 at 100k chunks (98.5% at 5k) and the chunk each
// question came from every time. Budgets of 1,000 / 2,000 / 5,000 gave 75% / 85% / 94% of the exact
// top 100 for 0.5× / 1× / 2× the time. At 100k chunks a question fetches ~500 rows (p50; p90 1,600).
// When every term is common, the chunks holding the two rarest together (then the rarest alone)
// are fetched, at most MATCH_BUDGET of them.
//
// Document descriptions returned: those of the candidates' documents that hold a query term, and
// the best-scoring description (found by the same bounded plan over description frequencies, with
// the smaller DESCRIPTION_MATCH_BUDGET), so a question over thousands of documents reads a few
// hundred descriptions, not every one holding a term.

/** Sum of the chunk frequencies of the terms whose chunks are fetched and scored (the contract's default). */
export const MATCH_BUDGET = KEYWORD_MATCH_BUDGET;
/**
 * The same for finding the best-matching description. A description row costs more to read than a
 * chunk's (longer tsvectors, some in TOAST): at 100k chunks / 4,990 documents, on the 168 benchmark
 * questions, 500 found the same best description as scoring every matching one for 165 (1,000 and
 * more: 168) in a seventh of the time (p50 13.9 vs 97 ms with 2,000 on a loaded 2-core machine).
 */
const DESCRIPTION_MATCH_BUDGET = 500;
const K1 = 1.2;
const B = 0.75;
/** A heading occurrence counts as half an occurrence in the text (as in the pipeline's own index). */
const HEADING_OCCURRENCE = 0.5;

interface StatsRow {
  chunks: string;
  chunk_terms: string;
  documents: string;
  document_terms: string;
  chunk_frequency: Record<string, number> | null;
  document_frequency: Record<string, number> | null;
}

interface MatchRow {
  pk: string;
  id: string;
  doc_id: string;
  page: number;
  term_count: number;
  /** The row's tsvector reduced to the query's terms, as text (`'term':3A,17A`). */
  hits: string;
}

async function collectionStats(pool: pg.Pool, t: StoreTables, terms: string[]): Promise<KeywordCollectionStats> {
  const { rows } = await pool.query<StatsRow>(
    `SELECT c.chunks, c.chunk_terms, c.documents, c.document_terms,
       (SELECT json_object_agg(term, chunks) FROM ${t.chunkTermStats} WHERE term = ANY($1)) AS chunk_frequency,
       (SELECT json_object_agg(term, documents) FROM ${t.documentTermStats} WHERE term = ANY($1)) AS document_frequency
     FROM ${t.collection} c`,
    [terms],
  );
  const row = rows[0];
  const chunks = Number(row?.chunks ?? 0);
  const documents = Number(row?.documents ?? 0);
  const perTerm = (found: Record<string, number> | null | undefined): Record<string, number> => Object.fromEntries(terms.map((term) => [term, found?.[term] ?? 0]));
  return {
    chunks,
    averageChunkTerms: chunks > 0 ? Number(row?.chunk_terms ?? 0) / chunks : 0,
    chunkFrequency: perTerm(row?.chunk_frequency),
    documents,
    averageDocumentTerms: documents > 0 ? Number(row?.document_terms ?? 0) / documents : 0,
    documentFrequency: perTerm(row?.document_frequency),
  };
}

/** Which terms' chunks to fetch (`planKeywordFetch`, over the terms a tsquery can hold): see the comment at the top. */
export function fetchPlan(terms: readonly string[], chunkFrequency: Record<string, number>, rareTermLimit: number, budget = MATCH_BUDGET): { any: string[]; fallback?: string[] } {
  const plan = planKeywordFetch(terms.filter(indexableTerm), (term) => chunkFrequency[term] ?? 0, rareTermLimit, budget);
  return plan.fallback ? { any: plan.fetch, fallback: plan.fallback } : { any: plan.fetch };
}

const HIT = /'((?:[^'\\]|''|\\.)*)':([0-9A-D,]+)/g;

/** Body and heading occurrences of each query term in one row, from its filtered tsvector text. */
function termFrequencies(hits: string, termCount: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const match of hits.matchAll(HIT)) {
    const term = (match[1] as string).replace(/''|\\\\/g, (s) => s[0] as string);
    let tf = 0;
    for (const position of (match[2] as string).split(',')) tf += Number.parseInt(position, 10) <= termCount ? 1 : HEADING_OCCURRENCE;
    out.set(term, tf);
  }
  return out;
}

/** Grouped BM25: the best term of each group (a compound and its parts count once), summed over groups. */
function scoreRow(row: MatchRow, tf: ReadonlyMap<string, number>, groups: ReadonlyArray<readonly string[]>, weights: Map<string, number>, averageLength: number): number {
  const norm = K1 * (1 - B + (B * row.term_count) / (averageLength || 1));
  let score = 0;
  for (const group of groups) {
    let best = 0;
    for (const term of group) {
      const f = tf.get(term);
      if (f === undefined) continue;
      best = Math.max(best, ((weights.get(term) ?? 0) * f * (K1 + 1)) / (f + norm));
    }
    score += best;
  }
  return score;
}

/** The rows (chunks, or documents' descriptions) matching a tsquery, each with its tsvector reduced to the query's terms. */
type RowSource = (match: string, allTerms: string[], limit?: number) => Promise<MatchRow[]>;

function chunkRows(pool: pg.Pool, t: StoreTables): RowSource {
  return async (match, allTerms, limit) =>
    (
      await pool.query<MatchRow>(
        `SELECT pk, id, doc_id, page, term_count, ts_filter(setweight(tsv, 'A', $2::text[]), '{a}')::text AS hits
         FROM ${t.chunks} WHERE tsv @@ $1::tsquery${limit === undefined ? '' : ' LIMIT $3'}`,
        limit === undefined ? [match, allTerms] : [match, allTerms, limit],
      )
    ).rows;
}

function descriptionRows(pool: pg.Pool, t: StoreTables): RowSource {
  return async (match, allTerms, limit) =>
    (
      await pool.query<MatchRow>(
        `SELECT id AS pk, id, id AS doc_id, 0 AS page, term_count, ts_filter(setweight(tsv, 'A', $2::text[]), '{a}')::text AS hits
         FROM ${t.documents} WHERE tsv @@ $1::tsquery${limit === undefined ? '' : ' LIMIT $3'}`,
        limit === undefined ? [match, allTerms] : [match, allTerms, limit],
      )
    ).rows;
}

/** The rows holding the planned terms (or, failing those, the fallback's). */
async function matchingRows(source: RowSource, plan: ReturnType<typeof fetchPlan>, allTerms: string[], limit: number, budget = MATCH_BUDGET): Promise<MatchRow[]> {
  const any = anyTermQuery(plan.any);
  if (any !== undefined) return source(any, allTerms);
  if (!plan.fallback) return [];
  const rows = await source(plan.fallback.map(quoteLexeme).join(' & '), allTerms, budget);
  if (rows.length >= limit || plan.fallback.length < 2) return rows;
  const seen = new Set(rows.map((r) => r.pk));
  const more = await source(quoteLexeme(plan.fallback[0] as string), allTerms, budget);
  return [...rows, ...more.filter((r) => !seen.has(r.pk))];
}

/**
 * The document whose description scores best against the terms (BM25, k1 1.2, b 0.75 with
 * FTS5's idf, as the pipeline normalises description scores), among the descriptions fetched by
 * the same bounded plan as chunks; undefined when none holds a term.
 */
async function bestDescription(pool: pg.Pool, t: StoreTables, terms: string[], stats: KeywordCollectionStats): Promise<string | undefined> {
  const budget = DESCRIPTION_MATCH_BUDGET;
  const plan = fetchPlan(terms, stats.documentFrequency, 0, budget);
  const rows = await matchingRows(descriptionRows(pool, t), plan, terms.filter(indexableTerm), 1, budget);
  let best: { id: string; score: number } | undefined;
  for (const row of rows) {
    let score = 0;
    for (const [term, f] of termFrequencies(row.hits, row.term_count)) {
      const idf = Math.max(1e-6, Math.log((stats.documents - (stats.documentFrequency[term] ?? 0) + 0.5) / ((stats.documentFrequency[term] ?? 0) + 0.5)));
      score += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * row.term_count) / (stats.averageDocumentTerms || 1)));
    }
    if (score > 0 && (!best || score > best.score || (score === best.score && row.id < best.id))) best = { id: row.id, score };
  }
  return best?.id;
}

/** Keyword candidates of one question (see the comment at the top for the ranking). */
export async function keywordCandidates(pool: pg.Pool, t: StoreTables, query: KeywordCandidatesQuery, target: DatabaseTarget): Promise<KeywordCandidates> {
  throwIfAborted(query.abortSignal, target);
  const terms = [...new Set(query.groups.flat())];
  const anyTerm = anyTermQuery(terms);
  const stats = await collectionStats(pool, t, terms);
  throwIfAborted(query.abortSignal, target);
  const plan = fetchPlan(terms, stats.chunkFrequency, query.rareTermLimit);
  const [rows, bestDocument] = await Promise.all([
    matchingRows(chunkRows(pool, t), plan, terms.filter(indexableTerm), query.limit),
    anyTerm === undefined ? Promise.resolve(undefined) : bestDescription(pool, t, terms, stats),
  ]);
  throwIfAborted(query.abortSignal, target);

  const weights = new Map(
    terms.map((term) => {
      const df = stats.chunkFrequency[term] ?? 0;
      const idf = Math.log(1 + (stats.chunks - df + 0.5) / (df + 0.5));
      return [term, idf * (query.termWeights?.[term] ?? 1)];
    }),
  );
  // Each row's hits are parsed once, for its score and for the rare-term check.
  const parsed = rows.map((row) => ({ row, tf: termFrequencies(row.hits, row.term_count) }));
  const scored = parsed.map(({ row, tf }) => ({ row, score: scoreRow(row, tf, query.groups, weights, stats.averageChunkTerms) }));
  scored.sort((a, b) => b.score - a.score || Number(a.row.pk) - Number(b.row.pk));
  const chosen = new Map(scored.slice(0, Math.max(0, query.limit)).map((s) => [s.row.pk, s.row]));
  const rare = terms.filter((term) => (stats.chunkFrequency[term] ?? 0) > 0 && (stats.chunkFrequency[term] ?? 0) <= query.rareTermLimit);
  if (rare.length > 0) for (const { row, tf } of parsed) if (!chosen.has(row.pk) && rare.some((term) => tf.has(term))) chosen.set(row.pk, row);

  // Descriptions of the candidates' documents that hold a query term, and the best-matching one.
  const described = new Set([...chosen.values()].map((row) => row.doc_id));
  if (bestDocument !== undefined) described.add(bestDocument);
  const [termRows, documents] = await Promise.all([
    chosen.size === 0
      ? Promise.resolve([])
      : pool.query<{ pk: string; terms: string; heading_terms: string }>(`SELECT pk, terms, heading_terms FROM ${t.chunks} WHERE pk = ANY($1::bigint[])`, [[...chosen.keys()]]).then((r) => r.rows),
    anyTerm === undefined || described.size === 0
      ? Promise.resolve<DocumentTerms[]>([])
      : pool.query<DocumentTerms>(`SELECT id, terms FROM ${t.documents} WHERE id = ANY($1) AND tsv @@ $2::tsquery ORDER BY id`, [[...described], anyTerm]).then((r) => r.rows),
  ]);
  const chunks: ChunkTerms[] = [];
  for (const r of termRows) {
    const row = chosen.get(r.pk);
    if (row) chunks.push({ id: row.id, docId: row.doc_id, page: row.page, terms: r.terms, headingTerms: r.heading_terms });
  }
  return { stats, chunks, documents };
}
