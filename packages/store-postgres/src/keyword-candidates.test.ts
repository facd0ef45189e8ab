import type { DocumentRecord, IndexedChunk } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { fetchPlan, MATCH_BUDGET } from './internal/keyword-candidates.js';
import { distinctTerms, splitTerms } from './internal/text-search-literals.js';
import type { PostgresStore } from './index.js';
import { rawClient, skipPostgres, testSchemas } from './__fixtures__/test-database.js';

/** A record whose chunks carry the given index terms as they are (the pipeline's analysed terms). */
function record(id: string, chunks: Array<string | { terms: string; heading?: string }>, extra: { source?: string; documentTerms?: string } = {}): DocumentRecord {
  return {
    document: { id, source: extra.source ?? `/docs/${id}.md`, name: `${id}.md`, mediaType: 'text/markdown', contentHash: `h-${id}`, pageCount: 1, byteSize: 10, ingestedAt: 1 },
    chunks: chunks.map((spec, i): IndexedChunk => {
      const { terms, heading = '' } = typeof spec === 'string' ? { terms: spec } : spec;
      return { id: `${id}#${i}`, docId: id, text: terms, page: 1, pageEnd: 1, pageLabel: '1', sectionPath: heading ? [heading] : [], charStart: 0, charEnd: terms.length, terms, headingTerms: heading };
    }),
    documentTerms: extra.documentTerms ?? id,
  };
}

const ids = async (store: PostgresStore, groups: string[][], limit = 10, extra: { rareTermLimit?: number; termWeights?: Record<string, number> } = {}): Promise<string[]> =>
  (await store.keywordSearch.keywordCandidates({ groups, limit, rareTermLimit: extra.rareTermLimit ?? 0, ...(extra.termWeights && { termWeights: extra.termWeights }) })).chunks.map((c) => c.id);

describe('fetchPlan', () => {
  it('fetches rare terms whatever the budget, then the rarest while the budget lasts', () => {
    const df = { rare: 3, mid: 600, common: MATCH_BUDGET, huge: 50_000, absent: 0 };
    expect(fetchPlan(['huge', 'common', 'rare', 'mid', 'absent'], df, 5)).toEqual({ any: ['rare', 'mid'] });
    expect(fetchPlan(['huge', 'rare'], df, 60_000)).toEqual({ any: ['rare', 'huge'] });
  });

  it('falls back to the two rarest together when every term is over the budget', () => {
    expect(fetchPlan(['a', 'b', 'c'], { a: 9000, b: 5000, c: 7000 }, 60)).toEqual({ any: [], fallback: ['b', 'c'] });
    expect(fetchPlan(['absent'], { absent: 0 }, 60)).toEqual({ any: [] });
  });
});

describe.skipIf(skipPostgres)('keyword candidates', () => {
  const schemas = testSchemas('keywords');

  it('matches technical tokens as given, quotes and operators included, never re-tokenised', async () => {
    const store = await schemas.open();
    try {
      const tokens = ['funct3', 'mstatus.mie', '0x7b0', 'v1.7', "it's", 'a\\b', 'c++', 'x|y', '!not', 'key:value', '(paren)', '&amp', 'fs:*', "o'k'"];
      await store.putDocument(record('isa', [...tokens.map((t) => `plain ${t} words`), 'mstatus mie 7b0 v1 7 funct']));
      for (const [i, token] of tokens.entries()) expect(await ids(store, [[token]]), token).toEqual([`isa#${i}`]);
      expect(await ids(store, [['mstatus']])).toEqual([`isa#${tokens.length}`]);
      expect((await store.keywordSearch.keywordCandidates({ groups: [['x|y'], ['missing']], limit: 5, rareTermLimit: 0 })).stats.chunkFrequency).toEqual({ 'x|y': 1, missing: 0 });
    } finally {
      await store.close();
    }
  });

  it('ranks a term in the text above the same term in a heading only', async () => {
    const store = await schemas.open();
    try {
      await store.putDocument(record('doc', [{ terms: 'other words here', heading: 'interrupts' }, 'interrupts words here', 'unrelated words here']));
      expect(await ids(store, [['interrupts']], 1)).toEqual(['doc#1']);
      expect((await ids(store, [['interrupts']], 2)).sort()).toEqual(['doc#0', 'doc#1']);
    } finally {
      await store.close();
    }
  });

  it('termWeights multiply idf: a weighted-down term ranks its chunk lower', async () => {
    const store = await schemas.open();
    try {
      await store.putDocument(record('doc', ['alpha filler text', 'beta filler text', 'filler only text']));
      expect(await ids(store, [['alpha'], ['beta']], 1, { termWeights: { alpha: 0.2 } })).toEqual(['doc#1']);
      expect(await ids(store, [['alpha'], ['beta']], 1, { termWeights: { beta: 0.2 } })).toEqual(['doc#0']);
    } finally {
      await store.close();
    }
  });

  it('every term common: the chunks holding both of the two rarest come first', async () => {
    const store = await schemas.open();
    try {
      // Over MATCH_BUDGET chunks hold each of "common" and "usual"; only doc#7 holds both.
      const n = MATCH_BUDGET + 100;
      const chunks = Array.from({ length: 2 * n }, (_, i) => (i === 7 ? 'common usual' : i % 2 === 0 ? `common f${i}` : `usual f${i}`));
      await store.putDocument(record('doc', chunks));
      expect(await ids(store, [['common'], ['usual']], 1)).toEqual(['doc#7']);
    } finally {
      await store.close();
    }
  }, 60_000);

  describe('incremental statistics', () => {
    /** The statistics recounted from the stored rows' term text, independently of the incremental tables. */
    async function recount(store: PostgresStore) {
      const client = await rawClient();
      try {
        const s = `"${store.schema}"`;
        const chunks = (await client.query<{ terms: string; heading_terms: string }>(`SELECT terms, heading_terms FROM ${s}.chunks`)).rows;
        const docs = (await client.query<{ terms: string }>(`SELECT terms FROM ${s}.documents`)).rows;
        const chunkFrequency: Record<string, number> = {};
        for (const c of chunks) for (const term of distinctTerms(c.terms, c.heading_terms)) chunkFrequency[term] = (chunkFrequency[term] ?? 0) + 1;
        const documentFrequency: Record<string, number> = {};
        for (const d of docs) for (const term of distinctTerms(d.terms)) documentFrequency[term] = (documentFrequency[term] ?? 0) + 1;
        const stored = {
          chunkFrequency: Object.fromEntries((await client.query<{ term: string; chunks: number }>(`SELECT term, chunks FROM ${s}.chunk_term_stats`)).rows.map((r) => [r.term, r.chunks])),
          documentFrequency: Object.fromEntries((await client.query<{ term: string; documents: number }>(`SELECT term, documents FROM ${s}.document_term_stats`)).rows.map((r) => [r.term, r.documents])),
          counts: (await client.query(`SELECT documents::int, chunks::int, chunk_terms::int, document_terms::int FROM ${s}.collection`)).rows[0],
        };
        const counted = {
          chunkFrequency,
          documentFrequency,
          counts: {
            documents: docs.length,
            chunks: chunks.length,
            chunk_terms: chunks.reduce((sum, c) => sum + splitTerms(c.terms).length, 0),
            document_terms: docs.reduce((sum, d) => sum + splitTerms(d.terms).length, 0),
          },
        };
        return { stored, counted };
      } finally {
        await client.end();
      }
    }

    it('equal a recount after puts, replaces (by id and by source), deletes and concurrent writers', async () => {
      const store = await schemas.open();
      const second = await schemas.open({ schema: store.schema });
      let seed = 5;
      const random = (n: number): number => {
        seed = (seed * 16807) % 2147483647;
        return seed % n;
      };
      const words = (n: number): string => Array.from({ length: n }, () => `w${random(40)}`).join(' ');
      const randomRecord = (id: string, source?: string): DocumentRecord =>
        record(
          id,
          Array.from({ length: 1 + random(6) }, () => ({ terms: words(1 + random(12)), heading: random(2) ? words(2) : '' })),
          { ...(source !== undefined && { source }), documentTerms: `${words(3)} ${id}` },
        );
      try {
        for (let step = 0; step < 30; step++) {
          const id = `d${random(8)}`;
          const action = random(5);
          if (action === 0) await store.deleteDocument(id);
          else if (action === 1) await store.putDocument(randomRecord(`renamed-${id}`, `/docs/${id}.md`));
          else if (action === 2) await Promise.all([store.putDocument(randomRecord(id)), second.putDocument(randomRecord(`d${random(8)}`)), second.deleteDocument(`d${random(8)}`)]);
          else await store.putDocument(randomRecord(id));
          const { stored, counted } = await recount(store);
          expect(stored, `after step ${step}`).toEqual(counted);
        }
        const { counted } = await recount(store);
        const terms = Object.keys(counted.chunkFrequency).slice(0, 5);
        const { stats } = await second.keywordSearch.keywordCandidates({ groups: terms.map((t) => [t]), limit: 1, rareTermLimit: 0 });
        expect(stats.chunkFrequency).toEqual(Object.fromEntries(terms.map((t) => [t, counted.chunkFrequency[t]])));
        expect(stats.chunks).toBe(counted.counts.chunks);
        expect(stats.averageChunkTerms).toBeCloseTo(counted.counts.chunk_terms / counted.counts.chunks, 9);
      } finally {
        await second.close();
        await store.close();
      }
    }, 60_000);
  });
});
