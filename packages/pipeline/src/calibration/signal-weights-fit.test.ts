import { describe, expect, it } from 'vitest';
import type { KeywordFeatures } from '../retrieval/retriever.js';
import { DEFAULT_SIGNAL_WEIGHTS, SIGNAL_NAMES, type SignalName } from '../retrieval/signals/signal-table.js';
import { fitSignalWeights, meanReciprocalRank, type WeightCalibrationSample } from './signal-weights-fit.js';

/** A question whose answer page is found by `phrase` while `bm25` prefers a wrong page. */
function sample(seed: number): WeightCalibrationSample {
  const row = (values: Partial<Record<SignalName, number>>): Float64Array => Float64Array.from(SIGNAL_NAMES, (name) => values[name] ?? 0);
  const features: KeywordFeatures = {
    signals: SIGNAL_NAMES,
    passageCandidates: 100,
    candidates: [
      { id: 'wrong', docId: 'd', page: 1, values: row({ bm25: 1, phrase: 0 }) },
      { id: 'right', docId: 'd', page: 2, values: row({ bm25: 0.7 + seed * 0.01, phrase: 0.5 }) },
      { id: 'other', docId: 'e', page: 1, values: row({ bm25: 0.2 }) },
    ],
  };
  return { features, relevant: (c) => c.docId === 'd' && c.page === 2 };
}

describe('fitSignalWeights', () => {
  it('raises the weight of the signal that puts answers first, and reports the gain', () => {
    const samples = [1, 2, 3, 4].map(sample);
    const start = { ...DEFAULT_SIGNAL_WEIGHTS, phrase: 0 };
    expect(meanReciprocalRank(samples, start)).toBeCloseTo(0.5);
    const fit = fitSignalWeights(samples, { start });
    expect(fit.startMrr).toBeCloseTo(0.5);
    expect(fit.mrr).toBe(1);
    expect(fit.weights.phrase).toBeGreaterThan(0.6);
    expect(fit.weights.bm25).toBe(1);
    expect(meanReciprocalRank(samples, fit.weights)).toBe(1);
  });

  it('keeps fixed signals and penalty signals on their side of zero', () => {
    const fit = fitSignalWeights([1, 2].map(sample), { start: { ...DEFAULT_SIGNAL_WEIGHTS, phrase: 0, definition: -0.5 }, fixed: ['phrase'] });
    expect(fit.weights.phrase).toBe(0);
    // A signal that starts negative is searched as a penalty: it stays at or below zero.
    expect(fit.weights.definition).toBeLessThanOrEqual(0);
  });
});
