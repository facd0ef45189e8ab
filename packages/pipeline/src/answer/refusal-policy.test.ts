import { describe, expect, it } from 'vitest';
import type { RetrievalEvidence } from '../retrieval/evidence.js';
import { decideRefusal, DEFAULT_REFUSAL_POLICY, isModelRefusal, type RefusalPolicy } from './refusal-policy.js';

const evidence = (fields: Partial<RetrievalEvidence>): RetrievalEvidence => ({
  coverage: 0.8,
  terms: [],
  unknownTerms: [],
  specificTerms: [],
  missingSpecificTerms: [],
  specificCoverage: 1,
  weakSpecificTerms: [],
  ...fields,
});
const policy: RefusalPolicy = { minCoverage: 0.3, refuseUnknownNames: true, minCoverageWithWeakNames: 0.5 };

describe('decideRefusal', () => {
  it('answers well-covered questions and refuses when nothing matches', () => {
    expect(decideRefusal(evidence({}), 5, policy)).toEqual({ refuse: false });
    expect(decideRefusal(evidence({}), 0, policy)).toEqual({ refuse: true, reason: 'no passage matches the question' });
  });

  it('refuses below the coverage threshold and says how weak the best passage was', () => {
    expect(decideRefusal(evidence({ coverage: 0.29 }), 5, policy)).toEqual({ refuse: true, reason: 'no passage covers enough of the question (best 29%)' });
    expect(decideRefusal(evidence({ coverage: 0.31 }), 5, policy).refuse).toBe(false);
  });

  it('refuses a question naming something the documents never mention, however well the rest matches', () => {
    const named = evidence({ coverage: 0.95, specificTerms: ['Zacas', 'RV32'], missingSpecificTerms: ['Zacas'] });
    expect(decideRefusal(named, 5, policy)).toEqual({ refuse: true, reason: 'the documents never mention "Zacas"' });
    expect(decideRefusal(named, 5, { ...policy, refuseUnknownNames: false }).refuse).toBe(false);
  });

  it('refuses a name mentioned only in passing unless coverage is high', () => {
    const passing = evidence({ coverage: 0.45, specificTerms: ['EU', 'Medical'], weakSpecificTerms: ['EU'], specificCoverage: 0.5 });
    expect(decideRefusal(passing, 5, policy).reason).toMatch(/mention "EU" only in passing/);
    expect(decideRefusal({ ...passing, coverage: 0.6 }, 5, policy).refuse).toBe(false);
    // When none of the question's names is among the best passages, coverage does not save it.
    const about = evidence({ coverage: 0.9, specificTerms: ['MySQL'], weakSpecificTerms: ['MySQL'], specificCoverage: 0 });
    expect(decideRefusal(about, 5, policy)).toEqual({ refuse: true, reason: 'the documents mention "MySQL" only in passing, and none of the best passages does' });
  });

  it('uses dense similarity and reranker scores when the profile has them', () => {
    const paraphrase = evidence({ coverage: 0.1, denseSimilarity: 0.82 });
    expect(decideRefusal(paraphrase, 5, policy).refuse).toBe(true);
    expect(decideRefusal(paraphrase, 5, { ...policy, denseRescueSimilarity: 0.8 }).refuse).toBe(false);
    // An unknown name is not rescued by similarity.
    expect(decideRefusal({ ...paraphrase, missingSpecificTerms: ['Zacas'] }, 5, { ...policy, denseRescueSimilarity: 0.8 }).refuse).toBe(true);
    const irrelevant = evidence({ rerankScore: 0.02 });
    expect(decideRefusal(irrelevant, 5, { ...policy, minRerankScore: 0.1 })).toMatchObject({ refuse: true, reason: expect.stringMatching(/reranker/) });
    expect(decideRefusal(irrelevant, 5, policy).refuse).toBe(false);
  });

  it('has a calibrated default', () => {
    expect(DEFAULT_REFUSAL_POLICY.minCoverage).toBeGreaterThan(0);
    expect(decideRefusal(evidence({ coverage: 0 }), 3).refuse).toBe(true);
  });
});

describe('isModelRefusal', () => {
  it.each([
    "The documents don't say. I found no passage that answers this question.",
    'The provided sources do not contain information about the EU AI Act.',
    'I cannot find that in the sources.',
    'Sorry, the context does not mention Kubernetes.',
    'There is no information about sourdough in the documents.',
    'This is not covered by the provided documents.',
    "I don't know.",
    '',
  ])('recognises "%s"', (text) => {
    expect(isModelRefusal(text, 0)).toBe(true);
  });

  it.each([
    'MRET is encoded as 0x30200073.',
    'The base design does not contain a branch predictor, so every taken branch stalls for one cycle.',
    'No information leaves the enclave unless the key is released.',
  ])('takes an answer about the subject for an answer, negations included: "%s"', (text) => {
    expect(isModelRefusal(text, 0)).toBe(false);
  });

  it('never takes a cited answer for a refusal', () => {
    expect(isModelRefusal('The sources do not say which, but [1] lists both.', 1)).toBe(false);
  });
});
