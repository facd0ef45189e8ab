import { describe, expect, it } from 'vitest';
import type { RetrievalEvidence } from '../retrieval/evidence.js';
import { fitRefusalPolicy, type RefusalCalibrationSample } from './refusal-fit.js';

const sample = (coverage: number, answerable: boolean, fields: Partial<RetrievalEvidence> = {}): RefusalCalibrationSample => ({
  evidence: { coverage, terms: [], unknownTerms: [], specificTerms: [], missingSpecificTerms: [], specificCoverage: 1, weakSpecificTerms: [], ...fields },
  hitCount: 10,
  answerable,
});

/** 100 answerable questions with coverages 0.30, 0.31, … 1.29 (capped at 1). */
const answerable = Array.from({ length: 100 }, (_, i) => sample(Math.min(1, 0.3 + i / 100), true));

describe('fitRefusalPolicy', () => {
  it('sets the coverage threshold from the answerable questions: between the coverages around the allowed share', () => {
    const fit = fitRefusalPolicy([...answerable, sample(0.1, false), sample(0.2, false)]);
    // 2% of 100: between the 2nd (0.31) and 3rd (0.32) lowest.
    expect(fit.policy.minCoverage).toBeCloseTo(0.315, 4);
    expect(fit.inScopeRefused).toBeCloseTo(0.02);
    expect(fit.outOfScopeRefused).toBe(1);
    expect(fitRefusalPolicy(answerable, { coverageFalseRefusal: 0.05 }).policy.minCoverage).toBeCloseTo(0.345, 4);
    expect(fitRefusalPolicy(answerable, { coverageFalseRefusal: 0 }).policy.minCoverage).toBe(0);
  });

  it('asks twice the coverage of a question naming something mentioned only in passing', () => {
    const { policy } = fitRefusalPolicy(answerable);
    expect(policy.minCoverageWithWeakNames).toBeCloseTo(2 * policy.minCoverage, 4);
  });

  it('refuses unknown names when that refuses more unanswerable than answerable questions (weighted by cost)', () => {
    const unknown = { missingSpecificTerms: ['Zacas'] };
    expect(fitRefusalPolicy([...answerable, sample(0.8, false, unknown), sample(0.9, false, unknown)]).policy.refuseUnknownNames).toBe(true);
    // A tenth of the unanswerable questions caught for a third of the answerable ones refused: not worth it.
    const costly = [
      ...answerable.slice(30),
      ...Array.from({ length: 30 }, () => sample(0.8, true, unknown)),
      ...Array.from({ length: 9 }, () => sample(0.05, false)),
      sample(0.8, false, unknown),
    ];
    expect(fitRefusalPolicy(costly).policy.refuseUnknownNames).toBe(false);
  });

  it('fits a reranker threshold when the samples carry reranker scores', () => {
    const scored = answerable.map((s, i) => ({ ...s, evidence: { ...s.evidence, rerankScore: 0.5 + (i % 50) / 100 } }));
    const fit = fitRefusalPolicy([...scored, sample(0.9, false, { rerankScore: 0.02 }), sample(0.9, false, { rerankScore: 0.05 })]);
    expect(fit.outOfScopeRefused).toBe(1);
    expect(fit.policy.minRerankScore).toBeGreaterThan(0.05);
    expect(fit.policy.minRerankScore).toBeLessThan(0.5);
  });
});
