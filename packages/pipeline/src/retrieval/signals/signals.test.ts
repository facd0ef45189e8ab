import type { ChunkTerms } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { selectCandidates } from '../candidate-selection.js';
import { type Candidate, collectCandidates } from '../candidates.js';
import { BM25_DEFAULTS, KeywordIndex } from '../keyword-index.js';
import { buildQueryContext } from '../query-context.js';
import { DEFAULT_QUESTION_VOCABULARY, definitionPattern } from '../question-signals.js';
import { analyze } from '../text-analysis.js';
import { bm25Signal } from './bm25.js';
import { codeDensitySignal } from './code-density.js';
import { coverageSignal } from './coverage.js';
import { definitionSignal } from './definition.js';
import { documentMatchSignal } from './document-match.js';
import type { PassageContext, SignalContext } from './retrieval-signal.js';
import { DEFAULT_SIGNAL_WEIGHTS, PASSAGE_SIGNALS, CANDIDATE_SIGNALS, resolveSignalWeights, SIGNAL_NAMES } from './signal-table.js';

interface Row {
  id: string;
  doc?: string;
  page?: number;
  text: string;
}

/** Index, question context and candidates of a tiny corpus, as the retriever builds them. */
function setUp(rows: Row[], question: string, documents: Array<{ id: string; text: string }> = []): { context: SignalContext; byId: Map<string, Candidate> } {
  const terms: ChunkTerms[] = rows.map((r) => ({ id: r.id, docId: r.doc ?? 'd', page: r.page ?? 1, terms: analyze(r.text).join(' '), headingTerms: '' }));
  const index = new KeywordIndex(terms, documents.map((d) => ({ id: d.id, terms: analyze(d.text).join(' ') })));
  const query = buildQueryContext(question, index, { editionTermWeight: 0.25, vocabulary: DEFAULT_QUESTION_VOCABULARY });
  const positions = selectCandidates(index, query.groups, query.idf, query.df, { limit: 100, rareTermLimit: 60, bm25: BM25_DEFAULTS });
  const { candidates, stats } = collectCandidates(query, index, BM25_DEFAULTS, positions);
  return { context: { query, index, stats }, byId: new Map(candidates.map((c) => [c.id, c])) };
}

const filler = 'general words about nothing much at all';

describe('the signal table', () => {
  it('gives every signal a default weight, and overrides check names and values', () => {
    expect(SIGNAL_NAMES).toEqual([...CANDIDATE_SIGNALS, ...PASSAGE_SIGNALS].map((s) => s.name));
    expect(Object.keys(DEFAULT_SIGNAL_WEIGHTS).sort()).toEqual([...SIGNAL_NAMES].sort());
    expect(resolveSignalWeights({ phrase: 0 }).phrase).toBe(0);
    expect(() => resolveSignalWeights({ proximty: 1 })).toThrow(/unknown retrieval signal "proximty"; the signals are bm25, /);
    expect(() => resolveSignalWeights({ phrase: Number.NaN })).toThrow(/finite number/);
  });
});

describe('bm25', () => {
  it('is the chunk BM25 relative to the best candidate: 1 for the best, less for weaker matches', () => {
    const { context, byId } = setUp([{ id: 'a', text: 'cache eviction policy evicts old entries' }, { id: 'b', text: `cache ${filler}` }], 'cache eviction');
    expect(bm25Signal.score(context, byId.get('a') as Candidate)).toBe(1);
    const weaker = bm25Signal.score(context, byId.get('b') as Candidate);
    expect(weaker).toBeGreaterThan(0);
    expect(weaker).toBeLessThan(0.6);
  });
});

describe('coverage', () => {
  it('is the share of the question weight in the chunk, rare terms weighing more', () => {
    const rows = [
      { id: 'rare', text: `zymurgy ${filler}` },
      { id: 'common', text: `brewing ${filler}` },
      ...Array.from({ length: 8 }, (_, i) => ({ id: `f${i}`, text: `brewing beer ${filler}` })),
    ];
    const { context, byId } = setUp(rows, 'zymurgy brewing');
    const rare = coverageSignal.score(context, byId.get('rare') as Candidate);
    const common = coverageSignal.score(context, byId.get('common') as Candidate);
    expect(rare + common).toBeCloseTo(1);
    expect(rare).toBeGreaterThan(0.75);
  });
});

describe('documentMatch', () => {
  it('favours chunks of the document whose title, headings and first page the question names', () => {
    const rows = [
      { id: 'guide', doc: 'guide', text: `timeout settings ${filler}` },
      { id: 'other', doc: 'other', text: `timeout settings ${filler}` },
    ];
    const { context, byId } = setUp(rows, 'timeout settings in the operations handbook', [
      { id: 'guide', text: 'Operations Handbook, second edition' },
      { id: 'other', text: 'Developer reference' },
    ]);
    expect(documentMatchSignal.score(context, byId.get('guide') as Candidate)).toBe(1);
    expect(documentMatchSignal.score(context, byId.get('other') as Candidate)).toBe(0);
  });
});

describe('codeDensity', () => {
  const rows = [
    { id: 'prose', text: 'The HALT instruction stops the processor until the next interrupt arrives.' },
    { id: 'table', text: 'HALT 0001000 00101 00000 000 00000 1110011\nNOP 0000000 00000 00000 000 00000 0010011' },
  ];
  it('for a question asking for a code, scores the code density of chunks holding its rarest term', () => {
    const { context, byId } = setUp(rows, 'What is the binary encoding of HALT?');
    expect(codeDensitySignal.score(context, byId.get('table') as Candidate)).toBeGreaterThan(0.9);
    expect(codeDensitySignal.score(context, byId.get('prose') as Candidate)).toBe(0);
  });
  it('is 0 for a question that does not ask for a code', () => {
    const { context, byId } = setUp(rows, 'What does HALT do?');
    expect(codeDensitySignal.score(context, byId.get('table') as Candidate)).toBe(0);
  });
});

describe('definition', () => {
  it('is 1 for a chunk that defines the term a "what is X" question asks about', () => {
    const { context } = setUp([{ id: 'x', text: filler }], 'What is a watchdog?');
    const definitions = { ...context, trigrams: new Map(), trigramCount: 0, definition: definitionPattern('What is a watchdog?') } as PassageContext;
    const score = (text: string): number => definitionSignal.score(definitions, { text } as never);
    expect(score('A watchdog is a timer that resets the system when software stops responding.')).toBe(1);
    expect(score('Enable the watchdog before entering the main loop.')).toBe(0);
  });
});
