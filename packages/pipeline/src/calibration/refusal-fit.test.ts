import { describe, expect, it } from 'vitest';
import type { RetrievalEvidence } from '../retrieval/evidence.js';
import { fitRefusalPolicy, type RefusalCalibrationSample } from './refusal-fit.js';

const sample = (coverage: number, answerable: boolean, fields: Partial<RetrievalEvidence> = {}): RefusalCalibrationSample => ({
  evidence: { coverage, terms: [], unknownTerms: [], specificTerms: [], missingSpecificTerms: [], specificCoverage: 1, weakSpecificTerms: [], ...fields },
  hitCount: 10,
  answerable,
});

describe('fitRefusalPolicy', () => {
  it('puts the coverage threshold between the classes, in the middle of the gap', () => {
    const samples = [0.1, 0.15, 0.2].map((c) => sample(c, false)).concat([0.4, 0.5, 0.7, 0.9].map((c) => sample(c, true)));
    const fit = fitRefusalPolicy(samples);
    expect(fit.outOfScopeRefused).toBe(1);
    expect(fit.inScopeRefused).toBe(0);
    expect(fit.policy.minCoverage).toBeGreaterThan(0.2);
    expect(fit.policy.minCoverage).toBeLessThan(0.4);
    expect(Math.abs(fit.policy.minCoverage - 0.3)).toBeLessThanOrEqual(0.04);
  });

  it('refuses unknown names when that separates the classes, and weighs false refusals by their cost', () => {
    const samples = [sample(0.8, false, { missingSpecificTerms: ['Zacas'] }), sample(0.8, true), sample(0.3, false), sample(0.35, true)];
    expect(fitRefusalPolicy(samples).policy.refuseUnknownNames).toBe(true);
    // Refusing the out-of-scope question at 0.3 would refuse the answerable one at 0.35 only with a
    // threshold above it; at cost 2 that is not worth it, at cost 0.5 it is.
    const overlapping = [sample(0.36, false), sample(0.35, true), sample(0.9, true)];
    expect(fitRefusalPolicy(overlapping).inScopeRefused).toBe(0);
    expect(fitRefusalPolicy(overlapping, { falseRefusalCost: 0.5 }).outOfScopeRefused).toBe(1);
  });

  it('fits a reranker threshold when the samples carry reranker scores', () => {
    const samples = [sample(0.9, false, { rerankScore: 0.02 }), sample(0.9, false, { rerankScore: 0.05 }), sample(0.9, true, { rerankScore: 0.6 }), sample(0.9, true, { rerankScore: 0.8 })];
    const fit = fitRefusalPolicy(samples);
    expect(fit.outOfScopeRefused).toBe(1);
    expect(fit.inScopeRefused).toBe(0);
    expect(fit.policy.minRerankScore).toBeGreaterThan(0.05);
    expect(fit.policy.minRerankScore).toBeLessThan(0.6);
  });
});
