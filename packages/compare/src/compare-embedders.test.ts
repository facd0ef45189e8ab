import { hashEmbedding, wordOverlapScore } from '@ragbridge/core-interfaces/testing';
import { openSqliteStore } from '@ragbridge/pipeline';
import type { FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hfSpacesSide, hfSpacesWithEmbedder, localOnlyFetch, QUESTIONS, startHf, writeCompareCorpus } from './__fixtures__/compare-fixtures.js';
import { refMean, refTauB, two } from './__fixtures__/reference-metrics.js';
import { compareProfiles, type CompareReport } from './index.js';

const BGE = 'BAAI/bge-small-en-v1.5';
const MINILM = 'sentence-transformers/all-MiniLM-L6-v2';
const BGE_QUERY_PREFIX = 'Represent this sentence for searching relevant passages: ';

/** The fake Hugging Face cross-encoder's score of a (query, passage) pair (testkit's hf-fake). */
const fakeCrossEncoder = (query: string, passage: string): number => 1 / (1 + Math.exp(-(wordOverlapScore(query, passage) * 8 - 4)));

describe('compareProfiles between two hosted profiles (both embedders and rerankers work)', () => {
  let corpus: Awaited<ReturnType<typeof writeCompareCorpus>>;
  let hf: FakeServer;

  beforeEach(async () => {
    corpus = await writeCompareCorpus();
    hf = await startHf();
    vi.stubGlobal('fetch', localOnlyFetch());
  });
  afterEach(async () => {
    vi.unstubAllGlobals();
    await hf.close();
    await corpus.cleanup();
  });

  it('a profile compared with itself agrees everywhere and every verdict passes', async () => {
    const report = await compareProfiles({
      a: hfSpacesSide(corpus.dir, hf, { name: 'spaces' }),
      b: hfSpacesSide(corpus.dir, hf, { name: 'spaces-again' }),
      questions: QUESTIONS,
      corpus: [corpus.docs],
      storePath: corpus.storePath,
      ingestWorkers: 0,
    });
    // One identity: B finds every vector already there and embeds nothing.
    expect(report.sides.b.embedderIdentity).toEqual(report.sides.a.embedderIdentity);
    expect(report.sides.b.indexedChunks).toBe(0);
    expect(report.retrieval.perQuestion.every((q) => q.jaccardAtK === 1 && q.kendallTau === 1 && q.embedderRecallAtK === 1)).toBe(true);
    expect(report.reranker.perQuestion.every((q) => q.kendallTau === 1 && q.shared === report.corpus.chunks)).toBe(true);
    expect(report.answers).toMatchObject({ sameCitations: 1, citationJaccard: 1, disagreeRefusal: 0, refusalAgreement: 1 });
    const hit5 = two(report.quality?.a.hitAt5 ?? NaN);
    const mrr = two(report.quality?.a.mrrAt10 ?? NaN);
    expect(report.verdicts).toEqual({
      embedder: { ok: true, text: 'safe to switch — recall@10 1.00 (threshold 0.90)' },
      reranker: { ok: true, text: 'same order — tau 1.00 (threshold 0.70)' },
      answers: { ok: true, text: 'same answers — same citations 1.00 (threshold 0.80), refusal agreement 1.00 (threshold 0.90)' },
      retrieval: { ok: true, text: 'same results — Jaccard@10 1.00 (threshold 0.70)' },
      quality: { ok: true, text: `no change — hit@5 +0.00 (${hit5} → ${hit5}), MRR@10 +0.00 (${mrr} → ${mrr})` },
    });
  });

  it('another embedding model: B indexes its own vectors; recall@k of its dense top k against A’s, reranker tau on the same candidates', async () => {
    const report: CompareReport = await compareProfiles({
      a: hfSpacesSide(corpus.dir, hf, { name: 'bge' }),
      b: hfSpacesSide(corpus.dir, hf, { name: 'minilm', config: hfSpacesWithEmbedder(MINILM) }),
      questions: QUESTIONS,
      corpus: [corpus.docs],
      storePath: corpus.storePath,
      // The store holds 11 chunks: a top 3 leaves room for the embedders to disagree.
      k: 3,
      ingestWorkers: 0,
    });
    expect(report.sides.a.embedderIdentity).toMatchObject({ modelId: BGE, queryPrefix: BGE_QUERY_PREFIX });
    expect(report.sides.b.embedderIdentity).toMatchObject({ modelId: MINILM });
    expect(report.sides.b).toMatchObject({ indexedChunks: report.corpus.chunks, chunksWithoutVectors: 0 });

    // Each side's dense top k, recomputed here: the query text the fake received from that side,
    // embedded as the fake embeds it, searched among that side's vectors.
    const sent = hf.requestsTo('hf-inference.pipeline').map((r) => ({ path: r.path, inputs: (r.json as { inputs: string[] }).inputs }));
    const store = openSqliteStore({ path: corpus.storePath });
    try {
      for (const [s, model, prefix] of [
        ['a', BGE, BGE_QUERY_PREFIX],
        ['b', MINILM, ''],
      ] as const) {
        const identity = report.sides[s].embedderIdentity;
        expect(identity).not.toBeNull();
        for (const r of report.results) {
          const query = `${prefix}${r.question}`;
          expect(sent.some((q) => q.path.includes(model) && q.inputs.length === 1 && q.inputs[0] === query)).toBe(true);
          const nearest = await store.vectorSearch.vectorCandidates({ identity: identity as NonNullable<typeof identity>, vector: hashEmbedding(query, 384), limit: 3 });
          expect(r[s].denseTopK).toEqual(nearest.map((h) => h.id));
        }
      }
    } finally {
      await store.close();
    }

    // Recall of B's dense top k against A's, per question and mean.
    const recalls = report.results.map((r) => {
      const a = r.a.denseTopK ?? [];
      const b = r.b.denseTopK ?? [];
      return a.filter((id) => b.includes(id)).length / a.length;
    });
    report.retrieval.perQuestion.forEach((q, i) => expect(q.embedderRecallAtK).toBeCloseTo(recalls[i] as number, 12));
    expect(report.retrieval.embedderRecallAtK).toBeCloseTo(refMean(recalls), 12);
    const recall = refMean(recalls);
    expect(report.verdicts.embedder).toEqual({
      ok: recall >= 0.9,
      text: `${recall >= 0.9 ? 'safe to switch' : 'results differ'} — recall@3 ${two(recall)} (threshold 0.90)`,
    });
    // The two models do not find the same nearest chunks for every question.
    expect(recall).toBeLessThan(1);

    // Reranker: both sides scored A's candidates (A's retrieval of the pool: here every chunk of
    // the small store). Each side's scores are recomputed from the rerank requests the fake
    // received for them: the question and the candidates' texts as the store holds them, scored as
    // the fake cross-encoder scores.
    const reranks = hf.requestsTo('hf-inference.classification').map((q) => (q.json as { inputs: Array<{ text: string; text_pair: string }> }).inputs);
    const check = openSqliteStore({ path: corpus.storePath });
    try {
      for (const r of report.results) {
        const ids = r.rerankCandidates ?? [];
        expect(ids).toHaveLength(report.corpus.chunks);
        const chunks = await check.getChunks(ids);
        const byId = new Map(chunks.map((c) => [c.id, [...c.sectionPath.slice(-1), c.text].join('\n')]));
        const texts = ids.map((id) => byId.get(id));
        const expected = texts.map((t) => fakeCrossEncoder(r.question, t as string));
        // The two direct calls sent the candidates in their order (the pipeline's own calls send them
        // in fused order, which may be the same).
        const sentFor = reranks.filter((inputs) => inputs.length === ids.length && inputs.every((p, i) => p.text === r.question && p.text_pair === texts[i]));
        expect(sentFor.length).toBeGreaterThanOrEqual(2);
        for (const s of ['a', 'b'] as const) {
          expect(r[s].rerankScores).toHaveLength(ids.length);
          r[s].rerankScores?.forEach((score, i) => expect(score).toBeCloseTo(expected[i] as number, 12));
          expect(r[s].probeUsage.filter((u) => u.operation === 'rerank').at(-1)).toMatchObject({ backend: 'hf-inference-providers', modelId: 'cross-encoder/ms-marco-MiniLM-L6-v2' });
        }
      }
    } finally {
      await check.close();
    }
    // Per question, A: the answer's rerank, the candidates' retrieval, the direct call; B: the answer's rerank, the direct call.
    expect(reranks).toHaveLength(5 * QUESTIONS.length);
    const taus = report.results.map((r) => refTauB(r.a.rerankScores ?? [], r.b.rerankScores ?? []));
    report.reranker.perQuestion.forEach((q, i) => {
      const tau = taus[i];
      if (tau === null || tau === undefined) expect(q.kendallTau).toBeNull();
      else expect(q.kendallTau).toBeCloseTo(tau, 12);
      expect(q.shared).toBe(report.corpus.chunks);
    });
    const defined = taus.filter((t): t is number => t !== null);
    expect(defined.length).toBeGreaterThan(0);
    expect(report.reranker.kendallTau).toBeCloseTo(refMean(defined), 12);
    // One cross-encoder on the same candidates: the same scores, so the same order.
    expect(report.reranker.kendallTau).toBe(1);
    expect(report.verdicts.reranker.text).toBe(`same order — tau ${two(refMean(defined))} (threshold 0.70)`);
  });
});
