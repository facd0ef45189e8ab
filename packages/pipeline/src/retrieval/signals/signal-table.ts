import { bm25Signal } from './bm25.js';
import { codeDensitySignal } from './code-density.js';
import { coverageSignal } from './coverage.js';
import { definitionSignal } from './definition.js';
import { documentMatchSignal } from './document-match.js';
import { phraseSignal } from './phrase.js';
import type { CandidateSignal, PassageSignal } from './retrieval-signal.js';

/** Signals scored on every keyword candidate, in table order. */
export const CANDIDATE_SIGNALS = [
  bm25Signal,
  documentMatchSignal,
  coverageSignal,
  codeDensitySignal,
] as const satisfies readonly CandidateSignal[];

/** Signals scored on the best candidates once their text is read, in table order. */
export const PASSAGE_SIGNALS = [phraseSignal, definitionSignal] as const satisfies readonly PassageSignal[];

/** Names of the keyword retrieval signals. */
export type SignalName = (typeof CANDIDATE_SIGNALS)[number]['name'] | (typeof PASSAGE_SIGNALS)[number]['name'];

/** Weight of each signal in a candidate's keyword score (the sum of weight × value). */
export type SignalWeights = Readonly<Record<SignalName, number>>;

/**
 * The weight table: the one place signal weights are set. They are what `fitSignalWeights` finds
 * from its neutral start on all 120 development questions — the procedure whose held-out
 * performance `ragbridge eval --folds 5` measures (docs/evaluation.md). Configuration overrides
 * any of them (`retrieval.signals` in a profile).
 */
export const DEFAULT_SIGNAL_WEIGHTS: SignalWeights = {
  bm25: 1,
  documentMatch: 1,
  coverage: 1,
  codeDensity: 4,
  phrase: 1.5,
  definition: 1,
};

/** Every signal's name, in table order (candidate signals first). */
export const SIGNAL_NAMES: readonly SignalName[] = [...CANDIDATE_SIGNALS, ...PASSAGE_SIGNALS].map((s) => s.name);

/** The default weights with `overrides` applied; an unknown name or a non-finite weight is an error naming it. */
export function resolveSignalWeights(overrides: Readonly<Record<string, number>> = {}): SignalWeights {
  const weights: Record<string, number> = { ...DEFAULT_SIGNAL_WEIGHTS };
  for (const [name, weight] of Object.entries(overrides)) {
    if (!(name in DEFAULT_SIGNAL_WEIGHTS)) throw new TypeError(`unknown retrieval signal "${name}"; the signals are ${SIGNAL_NAMES.join(', ')}`);
    if (!Number.isFinite(weight)) throw new TypeError(`retrieval signal "${name}": the weight must be a finite number, got ${String(weight)}`);
    weights[name] = weight;
  }
  return weights as SignalWeights;
}
