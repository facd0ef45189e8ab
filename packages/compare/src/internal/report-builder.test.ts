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
    expect(report.verdicts.reranker).toEqual({ ok: null, text: 'not measured — A & <Co> has no reranker' });
    expect(report.reranker).toMatchObject({ method: 'same-candidates', pool: 20, kendallTau: null });
    expect(report.notes[0]).toBe('A note with a | pipe.');
    expect(report.notes).toContain('Reranker order not compared: A & <Co> has no reranker.');
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

  it('says which side’s embedder failed on every question, or found nothing', () => {
    const raw = syntheticRaw();
    raw.sides.a = { ...raw.sides.b, name: 'A' };
    for (const r of raw.results) r.b.denseTopK = ['p1'];
    expect(buildCompareReport(raw).verdicts.embedder.text).toBe("not measured — A's embedder failed on every question");
    for (const r of raw.results) r.a.denseTopK = [];
    expect(buildCompareReport(raw).verdicts.embedder.text).toBe("not measured — A's dense search found no chunk for any question");
  });

  /** Both sides with a reranker model; q1–q3 get candidates and scores per test. */
  function withRerankers(): ReturnType<typeof syntheticRaw> {
    const raw = syntheticRaw();
    raw.sides.a = { ...raw.sides.a, models: { ...raw.sides.a.models, reranker: ['transformersjs local/cross-encoder', 'fused-order'] } };
    return raw;
  }

  it('reranker: tau-b of the two sides’ scores of the same candidates, position by position, where both scored them', () => {
    const raw = withRerankers();
    const [q1, q2, q3] = raw.results as [(typeof raw.results)[0], (typeof raw.results)[0], (typeof raw.results)[0]];
    q1.rerankCandidates = ['p1', 'p2', 'p3'];
    q1.a.rerankScores = [0.2, 0.6, 0.7];
    q1.b.rerankScores = [0.1, 0.5, 0.9];
    // Reversed, with a tie in B: pairs (0,1) and (0,2) discordant, (1,2) tied in B → −2 / √(3 · 2).
    q2.rerankCandidates = ['p9', 'p1', 'p2'];
    q2.a.rerankScores = [0.9, 0.5, 0.1];
    q2.b.rerankScores = [0.2, 0.8, 0.8];
    // B's chain ended in fused-order for q3: not compared.
    q3.rerankCandidates = ['m1', 'p1'];
    q3.a.rerankScores = [0.4, 0.3];
    const report = buildCompareReport(raw);
    expect(report.reranker.perQuestion.map((q) => q.id)).toEqual(['q1', 'q2', 'q3']);
    expect(report.reranker.perQuestion[0]).toEqual({ id: 'q1', kendallTau: 1, shared: 3 });
    expect(report.reranker.perQuestion[1]?.kendallTau).toBeCloseTo(-2 / Math.sqrt(6), 15);
    expect(report.reranker.perQuestion[1]?.shared).toBe(3);
    expect(report.reranker.perQuestion[2]).toEqual({ id: 'q3', kendallTau: null, shared: 0 });
    const tau = (1 - 2 / Math.sqrt(6)) / 2;
    expect(report.reranker.kendallTau).toBeCloseTo(tau, 15);
    expect(report.verdicts.reranker).toEqual({ ok: false, text: `order differs, tau ${tau.toFixed(2)} (threshold 0.70)` });
  });

  it('reranker: says why nothing was compared — too few candidates, or a side whose chain always ended in fused-order', () => {
    const raw = withRerankers();
    for (const r of raw.results) r.rerankCandidates = ['p1'];
    expect(buildCompareReport(raw).verdicts.reranker.text).toBe('not measured — no question had 2 or more candidates to rerank');
    for (const r of raw.results) r.rerankCandidates = ['p1', 'p2'];
    expect(buildCompareReport(raw).verdicts.reranker.text).toBe('not measured — A & <Co> has no working reranker (its chain ended in fused-order for every question)');
    for (const r of raw.results) r.a.rerankScores = [0.5, 0.5];
    expect(buildCompareReport(raw).verdicts.reranker.text).toBe('not measured — B "hosted" | v2 has no working reranker (its chain ended in fused-order for every question)');
    // Both scored, but every score of A tied: no order to compare.
    for (const r of raw.results) r.b.rerankScores = [0.9, 0.1];
    const report = buildCompareReport(raw);
    expect(report.reranker.perQuestion.every((q) => q.kendallTau === null && q.shared === 2)).toBe(true);
    expect(report.verdicts.reranker.text).toBe('not measured — no question was scored by both rerankers with untied scores');
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
    // The measurement calls are counted apart: the cached embedding is no call; the rerank has no price.
    expect(b.probe).toEqual({ calls: 2, costUsd: 0.0001, unpricedCalls: 1 });
    expect(report.latency.a.probe).toEqual({ calls: 0, costUsd: 0, unpricedCalls: 0 });
  });

  it('has no quality section or verdict when no question carries evidence', () => {
    const report = buildCompareReport(syntheticRaw({ evidence: false }));
    expect(report.quality).toBeNull();
    expect(report.verdicts.quality).toEqual({ ok: null, text: 'not measured — no question has evidence pages' });
  });
});
