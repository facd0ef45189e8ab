import type { Candidate } from './candidates.js';
import type { PassageCandidate, PassageContext, SignalContext } from './signals/retrieval-signal.js';
import { CANDIDATE_SIGNALS, PASSAGE_SIGNALS, SIGNAL_NAMES, type SignalName, type SignalWeights } from './signals/signal-table.js';

/** Columns of the signal matrix: candidate signals first, then passage signals (table order). */
const CANDIDATE_COLUMNS = CANDIDATE_SIGNALS.length;
const COLUMNS = SIGNAL_NAMES.length;

/** The weights as a vector in column order. */
export function weightVector(weights: SignalWeights): Float64Array {
  return Float64Array.from(SIGNAL_NAMES, (name) => weights[name]);
}

/**
 * Candidate-stage signal values: one row per candidate, one column per signal; the passage
 * columns are NaN until {@link scorePassages} fills them.
 */
export function candidateSignalValues(context: SignalContext, candidates: readonly Candidate[]): Float64Array[] {
  return candidates.map((candidate) => {
    const row = new Float64Array(COLUMNS).fill(Number.NaN);
    for (let s = 0; s < CANDIDATE_COLUMNS; s++) row[s] = (CANDIDATE_SIGNALS[s] as (typeof CANDIDATE_SIGNALS)[number]).score(context, candidate);
    return row;
  });
}

/** Fills the passage columns of the rows of candidates whose text was read. */
export function scorePassages(context: PassageContext, passages: ReadonlyArray<{ row: Float64Array; passage: PassageCandidate }>): void {
  for (const { row, passage } of passages) {
    for (let s = 0; s < PASSAGE_SIGNALS.length; s++) row[CANDIDATE_COLUMNS + s] = (PASSAGE_SIGNALS[s] as (typeof PASSAGE_SIGNALS)[number]).score(context, passage);
  }
}

/** Σ weight × value over the candidate columns. */
export function candidateStageScore(row: Float64Array, weights: Float64Array): number {
  let score = 0;
  for (let s = 0; s < CANDIDATE_COLUMNS; s++) score += (weights[s] as number) * (row[s] as number);
  return score;
}

/** Σ weight × value over the passage columns that were scored (0 for a candidate whose text was not read). */
export function passageStageScore(row: Float64Array, weights: Float64Array): number {
  let score = 0;
  for (let s = CANDIDATE_COLUMNS; s < COLUMNS; s++) {
    const value = row[s] as number;
    if (!Number.isNaN(value)) score += (weights[s] as number) * value;
  }
  return score;
}

/** Row indices by descending score; equal scores keep row order. */
export function orderByScore(scores: ArrayLike<number>): number[] {
  const order = new Int32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return Array.from(order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b));
}

/**
 * Ranks candidates whose signal values are known: candidate-stage score, the best `poolSize` get
 * their passage-stage score added, then all are ordered by score. The retriever and weight
 * calibration both rank through this function, so a calibrated weight means what it does live.
 */
export function rankRows(rows: readonly Float64Array[], weights: Float64Array, poolSize: number): { order: number[]; scores: Float64Array } {
  const scores = Float64Array.from(rows, (row) => candidateStageScore(row, weights));
  for (const i of orderByScore(scores).slice(0, poolSize)) scores[i] = (scores[i] as number) + passageStageScore(rows[i] as Float64Array, weights);
  return { order: orderByScore(scores), scores };
}

/** The best `poolSize` rows by candidate-stage score: the candidates whose text is read. */
export function passagePool(rows: readonly Float64Array[], weights: Float64Array, poolSize: number): number[] {
  return orderByScore(Float64Array.from(rows, (row) => candidateStageScore(row, weights))).slice(0, poolSize);
}

/** Each signal's contribution (weight × value) to one candidate's keyword score; unscored passage signals are left out. */
export function signalContributions(row: Float64Array, weights: Float64Array): Partial<Record<SignalName, number>> {
  const out: Partial<Record<SignalName, number>> = {};
  SIGNAL_NAMES.forEach((name, s) => {
    const value = row[s] as number;
    if (!Number.isNaN(value) && value !== 0 && weights[s] !== 0) out[name] = (weights[s] as number) * value;
  });
  return out;
}
