import type { ChunkTerms, DocumentTerms, EmbedderIdentity } from '@ragbridge/core-interfaces';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPaths } from '../ingest/ingest.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { selectCandidates } from './candidate-selection.js';
import { CorpusCache } from './corpus-cache.js';
import { evidenceTermsOf, measureEvidence } from './evidence.js';
import { inverseChunkFrequency, KeywordIndex } from './keyword-index.js';
import { weightVector } from './keyword-ranking.js';
import { keywordSearch, rankCandidates, type KeywordSearchSettings } from './keyword-search.js';
import { analyzeQuestion } from './query-context.js';
import { DEFAULT_QUESTION_VOCABULARY } from './question-signals.js';
import { createRetriever, RETRIEVER_DEFAULTS } from './retriever.js';
import { resolveSignalWeights } from './signals/signal-table.js';

// The corpus: the repository's own documentation (docs/ and every package README), ingested as a
// user would. Questions name its tools, settings, numbers and versions.
const QUESTIONS = [
  'How do I turn tracing on with the OTEL variables?',
  'What does hit@5 measure and what is MRR@10?',
  'Which schema does the PostgreSQL store create, and does it need pgvector?',
  'What is the default ANN threshold for the HNSW index?',
  'How does the retry policy honour Retry-After?',
  'What was MRR@10 on the development questions in 2026?',
  'What does ragbridge eval --folds 5 report?',
  'What is codeDensity?',
  'Which port does the fake Hugging Face server listen on?',
  'A client over its budget gets 429 insufficient_quota: where is that set?',
  'How are embeddings cached between runs?',
  'What does the circuit breaker do after repeated failures?',
  'Which extraction library reads PDFs and how are running headers removed?',
  'sourdough baking temperature',
];

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
let dir: string;
let store: SqliteStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rb-equivalence-'));
  const corpus = join(dir, 'corpus');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(corpus);
  for (const file of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) copyFileSync(join(ROOT, 'docs', file), join(corpus, `docs-${file}`));
  for (const area of ['packages', 'apps']) {
    for (const name of readdirSync(join(ROOT, area))) {
      try {
        copyFileSync(join(ROOT, area, name, 'README.md'), join(corpus, `${area}-${name}.md`));
      } catch {
        // A folder without a README.
      }
    }
  }
  store = openSqliteStore({ path: join(dir, 'store.db') });
  await ingestPaths([corpus], { store, workers: 0 });
}, 60_000);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every chunk's terms in storage order and every document's description: what the retriever indexed whole before. */
async function wholeCorpus(): Promise<{ rows: ChunkTerms[]; documents: DocumentTerms[] }> {
  const byId = new Map<string, ChunkTerms>();
  const documents: DocumentTerms[] = [];
  for (const doc of await store.listDocuments()) {
    const exported = await store.exportDocument(doc.id);
    if (!exported) continue;
    documents.push({ id: doc.id, terms: exported.record.documentTerms });
    for (const c of exported.record.chunks) byId.set(c.id, { id: c.id, docId: c.docId, page: c.page, terms: c.terms, headingTerms: c.headingTerms });
  }
  // Storage order: the chunks an identity without vectors lacks are listed in it.
  const none: EmbedderIdentity = { provider: 'none', modelId: 'none', revision: '0', pooling: 'mean', normalized: true };
  const rows = (await store.chunksWithoutVectors(none)).map((id) => byId.get(id) as ChunkTerms);
  return { rows, documents };
}

function settingsOf(candidates: number, rareTermLimit: number): KeywordSearchSettings {
  return {
    candidates,
    rareTermLimit,
    bm25: { k1: RETRIEVER_DEFAULTS.bm25K1, b: RETRIEVER_DEFAULTS.bm25B },
    editionTermWeight: RETRIEVER_DEFAULTS.editionTermWeight,
    vocabulary: DEFAULT_QUESTION_VOCABULARY,
    passagePool: RETRIEVER_DEFAULTS.passageCandidates,
    weights: weightVector(resolveSignalWeights()),
  };
}

describe('retrieval over the store’s keyword candidates', () => {
  it('ranks every question exactly as an index over the whole corpus did: same hits, scores, signal values and evidence', async () => {
    const { rows, documents } = await wholeCorpus();
    expect(rows.length).toBeGreaterThan(300);
    const whole = new KeywordIndex(rows, documents);
    // The defaults, and a small candidate set so that selection and rare terms decide more.
    for (const settings of [settingsOf(RETRIEVER_DEFAULTS.candidates, RETRIEVER_DEFAULTS.rareTermLimit), settingsOf(12, 4)]) {
      for (const question of QUESTIONS) {
        const analysed = analyzeQuestion(question, settings);
        const idf = (term: string): number => inverseChunkFrequency(whole.size, whole.chunkFrequency(term)) * (analysed.termWeights[term] ?? 1);
        const positions = selectCandidates(whole, analysed.groups, idf, (term) => whole.chunkFrequency(term), {
          limit: settings.candidates,
          rareTermLimit: settings.rareTermLimit,
          bm25: settings.bm25,
        });
        const before = await rankCandidates(analysed, whole, new CorpusCache(store), settings, positions);
        const after = await keywordSearch(question, store.keywordSearch, new CorpusCache(store), settings);
        const ranking = (result: typeof before): unknown[] => result.hits.map((h) => [h.candidate.id, h.candidate.bm25, h.candidate.coverage, h.score, [...h.values]]);
        expect(ranking(after), question).toEqual(ranking(before));

        const hits = (await createRetriever({ store, candidates: settings.candidates, rareTermLimit: settings.rareTermLimit }).retrieve(question)).hits;
        const coverage = (result: typeof before) => (id: string) => result.hits.find((h) => h.candidate.id === id)?.candidate.coverage ?? 0;
        const evidence = (result: typeof before, index: KeywordIndex) => measureEvidence(result.query, evidenceTermsOf(index), hits, coverage(result), () => undefined);
        expect(evidence(after, after.index), question).toEqual(evidence(before, whole));
      }
    }
  });
});
