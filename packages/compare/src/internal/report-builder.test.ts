import { describe, expect, it } from 'vitest';
import { syntheticRaw } from '../__fixtures__/synthetic-report.js';
import { buildCompareReport } from './report-builder.js';

describe('buildCompareReport on hand-made raw data', () => {
  it('retrieval: a reversed ranking has tau -1; no dense lists, no recall, and the verdict says which side lacks an embedder', () => {
    const report = buildCompareReport(syntheticRaw());
    expect(report.retrieval.perQuestion).toEqual([
      { id: 'q1', jaccardAtK: 1, kendallTau: -1, shared: 3, embedderRecallAtK: null },
      { id: 'q2', jaccardAtK: 0, kendallTau: null, shared: 0, embedderRecallAtK: null },
      { id: 'q3', jaccardAtK: 0.5, kendallTau: null, shared: 1, embedderRecallAtK: null },
    ]);
    expect(report.retrieval.jaccardAtK).toBeCloseTo(1.5 / 3, 15);
    expect(report.retrieval.kendallTau).toBe(-1);
    expect(report.verdicts.embedder).toEqual({ ok: null, text: 'not measured — A & <Co> has no embedder (keyword retrieval only)' });
    expect(report.verdicts.reranker).toEqual({ ok: null, text: 'not measured — A & <Co> has no working reranker (every pool kept its fused order)' });
    expect(report.notes[0]).toBe('A note with a | pipe.');
  });

  it('recall divides by the length of A’s dense list (a small index has fewer than k vectors)', () => {
    const raw = syntheticRaw();
    raw.sides.a = { ...raw.sides.b, name: 'A' };
    const [q1, q2, q3] = raw.results as [(typeof raw.results)[0], (typeof raw.results)[0], (typeof raw.results)[0]];
    q1.a.denseTopK = ['p1', 'p2', 'p3', 'p4'];
    q1.b.denseTopK = ['p4', 'p2', 'p9'];
    q2.a.denseTopK = ['p9'];
    q2.b.denseTopK = ['p9'];
    q3.a.denseTopK = null;
    q3.b.denseTopK = ['m1'];
    const report = buildCompareReport(raw);
    expect(report.retrieval.perQuestion.map((q) => q.embedderRecallAtK)).toEqual([0.5, 1, null]);
    expect(report.retrieval.embedderRecallAtK).toBe(0.75);
    expect(report.verdicts.embedder).toEqual({ ok: false, text: 'results differ — recall@10 0.75 (threshold 0.90)' });
  });

  it('says when a side embedded its questions but no query vector was observed', () => {
    const raw = syntheticRaw();
    raw.sides.a = { ...raw.sides.b, name: 'A' };
    for (const r of raw.results) r.a.usage = [{ operation: 'embed', backend: 'hf-inference-providers', modelId: 'e/m', latencyMs: 5, costUsd: null, cacheHit: false, fallbackStep: 0 }];
    expect(buildCompareReport(raw).verdicts.embedder.text).toBe("not measured — A's query vectors could not be observed (the runtime's pipeline searched none through its store)");
  });

  it('reranker: tau of the scores of the candidates both sides reranked, only where both reranked', () => {
    const raw = syntheticRaw();
    const q1 = raw.results[0] as (typeof raw.results)[0];
    q1.a.reranked = true;
    q1.a.rerankPool = [
      { chunkId: 'p1', rerankScore: 0.2 },
      { chunkId: 'p2', rerankScore: 0.6 },
      { chunkId: 'p3', rerankScore: 0.7 },
    ];
    const report = buildCompareReport(raw);
    // Shared: p3 (0.7 vs 0.9) and p2 (0.6 vs 0.5): same order.
    expect(report.reranker.perQuestion).toEqual([
      { id: 'q1', kendallTau: 1, shared: 2 },
      { id: 'q2', kendallTau: null, shared: 0 },
      { id: 'q3', kendallTau: null, shared: 0 },
    ]);
    expect(report.verdicts.reranker).toEqual({ ok: true, text: 'same order — tau 1.00 (threshold 0.70)' });
  });

  it('answers, quality over judged questions only, latency and cost', () => {
    const report = buildCompareReport(syntheticRaw());
    expect(report.answers).toMatchObject({ sameCitations: 2 / 3, bothRefused: 1, bothAnswered: 2, disagreeRefusal: 0, refusalAgreement: 1 });
    expect(report.answers.citationJaccard).toBeCloseTo(2 / 3, 15);
    // q1 is in scope (evidence page 3: rank 2 for A, rank 0 for B), q2 out of scope, q3 not judged.
    expect(report.quality?.a).toMatchObject({ inScope: 1, hitAt1: 0, hitAt5: 1, hitAt10: 1, refusal: { questions: 2, correct: 2, accuracy: 1 } });
    expect(report.quality?.a.mrrAt10).toBeCloseTo(1 / 3, 15);
    expect(report.quality?.b).toMatchObject({ inScope: 1, hitAt1: 1, mrrAt10: 1 });
    expect(Object.keys(report.quality?.a.categories ?? {})).toEqual(['fact', 'out | of scope']);
    expect(report.quality?.a.categories['out | of scope']).toMatchObject({ inScope: 0, hitAt5: null, mrrAt10: null, refusal: { questions: 1, correct: 1 } });
    expect(report.verdicts.quality).toEqual({ ok: true, text: 'B retrieves better — hit@5 +0.00 (1.00 → 1.00), MRR@10 +0.67 (0.33 → 1.00)' });

    const b = report.latency.b;
    expect(b.operations.chat).toEqual({ count: 2, p50Ms: 200, p95Ms: 300 });
    expect(b.operations.embed).toEqual({ count: 2, p50Ms: 20, p95Ms: 30 });
    expect(b.endToEnd).toEqual({ p50Ms: 250, p95Ms: 400 });
    // q1: 3 calls; q2: the embedding came from the cache, 1 call; q3: 1 call.
    expect(b.modelCallsPerAnswer).toBeCloseTo(5 / 3, 15);
    expect(b.costUsd).toBeCloseTo(0.003, 15);
    expect(b.costPer1000QuestionsUsd).toBeCloseTo(1, 12);
    expect(b.unpricedCalls).toBe(3);
    expect(b.peakRssMb).toBe(300);
    expect(report.latency.a.modelCallsPerAnswer).toBe(0);
    expect(report.latency.a.operations.rerank).toEqual({ count: 1, p50Ms: 0.1, p95Ms: 0.1 });
  });

  it('has no quality section or verdict when no question carries evidence', () => {
    const report = buildCompareReport(syntheticRaw({ evidence: false }));
    expect(report.quality).toBeNull();
    expect(report.verdicts.quality).toEqual({ ok: null, text: 'not measured — no question has evidence pages' });
  });
});
