import { hashEmbedding } from '@ragbridge/core-interfaces/testing';
import { openSqliteStore } from '@ragbridge/pipeline';
import type { FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hfSpacesSide, hfSpacesWithEmbedder, localOnlyFetch, QUESTIONS, startHf, writeCompareCorpus } from './__fixtures__/compare-fixtures.js';
import { refMean, refTauB, two } from './__fixtures__/reference-metrics.js';
import { compareProfiles, type CompareReport } from './index.js';

const BGE = 'BAAI/bge-small-en-v1.5';
const MINILM = 'sentence-transformers/all-MiniLM-L6-v2';
const BGE_QUERY_PREFIX = 'Represent this sentence for searching relevant passages: ';

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

  it('another embedding model: B indexes its own vectors; recall@k of its dense top k against A’s, reranker tau of the shared candidates', async () => {
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
          const nearest = await store.searchVectors({ identity: identity as NonNullable<typeof identity>, vector: hashEmbedding(query, 384), limit: 3 });
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

    // Reranker: tau-b of the two sides' rerank scores over the candidates both reranked (the same
    // cross-encoder, so ties and all, the order agrees wherever the scores differ).
    const taus = report.results.map((r) => {
      const scoresB = new Map(r.b.rerankPool.map((e) => [e.chunkId, e.rerankScore as number]));
      const shared = r.a.rerankPool.filter((e) => scoresB.has(e.chunkId));
      return refTauB(
        shared.map((e) => e.rerankScore as number),
        shared.map((e) => scoresB.get(e.chunkId) as number),
      );
    });
    report.reranker.perQuestion.forEach((q, i) => {
      const tau = taus[i];
      if (tau === null || tau === undefined) expect(q.kendallTau).toBeNull();
      else expect(q.kendallTau).toBeCloseTo(tau, 12);
    });
    const defined = taus.filter((t): t is number => t !== null);
    expect(defined.length).toBeGreaterThan(0);
    expect(report.reranker.kendallTau).toBeCloseTo(refMean(defined), 12);
    expect(report.verdicts.reranker.text).toBe(`same order — tau ${two(refMean(defined))} (threshold 0.70)`);
  });
});
