import type { KeywordFeatures } from '../retrieval/retriever.js';
import { rankRows, weightVector } from '../retrieval/keyword-ranking.js';
import { SIGNAL_NAMES, type SignalName, type SignalWeights } from '../retrieval/signals/signal-table.js';

/** One question for weight calibration: its keyword features and where its answer is. */
export interface WeightCalibrationSample {
  /** From `Retriever.keywordFeatures(question)`. */
  features: KeywordFeatures;
  /** Whether a candidate's page holds the answer. */
  relevant: (candidate: { id: string; docId: string; page: number }) => boolean;
}

/** Options of {@link fitSignalWeights}. */
export interface WeightFitOptions {
  /**
   * Where the search starts. The default does not come from any question set, so a
   * cross-validated fit learns nothing from the held-out questions through its start.
   * @default every signal at 1 ({@link NEUTRAL_SIGNAL_WEIGHTS})
   */
  start?: SignalWeights;
  /** Weights tried for each signal (negated for penalty signals, whose start weight is negative). @default 0 to 4 in 11 steps */
  grid?: readonly number[];
  /** Signals kept at their start weight. `bm25` is always kept: it sets the scale. @default [] */
  fixed?: readonly SignalName[];
  /** Passes over all signals. @default 4 */
  rounds?: number;
  /** Pages ranked per question. @default 10 */
  depth?: number;
  /**
   * The least rise in mean reciprocal rank a change must bring to be taken: a guard against fitting
   * noise (one question moving up one place moves it by about 0.5 ÷ questions). @default 0
   */
  minGain?: number;
}

/** The result of {@link fitSignalWeights}. */
export interface WeightFit {
  weights: SignalWeights;
  /** Mean reciprocal rank (by page, at `depth`) of the samples with these weights. */
  mrr: number;
  /** The same with the start weights. */
  startMrr: number;
}

const DEFAULT_GRID = [0, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 4];

/** Every signal at weight 1: the fit's starting point, chosen without looking at any question. */
export const NEUTRAL_SIGNAL_WEIGHTS: SignalWeights = Object.fromEntries(SIGNAL_NAMES.map((name) => [name, 1])) as SignalWeights;

interface PreparedSample {
  rows: Float64Array[];
  /** Page number (distinct per document and page) of each row. */
  pages: Int32Array;
  relevantPages: Set<number>;
  pool: number;
}

function prepare(sample: WeightCalibrationSample): PreparedSample {
  const keys = new Map<string, number>();
  const relevantPages = new Set<number>();
  const pages = Int32Array.from(sample.features.candidates, (candidate) => {
    const key = `${candidate.docId}#${candidate.page}`;
    let page = keys.get(key);
    if (page === undefined) {
      page = keys.size;
      keys.set(key, page);
    }
    if (sample.relevant(candidate)) relevantPages.add(page);
    return page;
  });
  return { rows: sample.features.candidates.map((c) => c.values), pages, relevantPages, pool: sample.features.passageCandidates };
}

/** Reciprocal rank of the first relevant page among the first `depth` distinct pages of the ranking. */
function reciprocalRank(sample: PreparedSample, weights: Float64Array, depth: number): number {
  if (sample.relevantPages.size === 0) return 0;
  const { order } = rankRows(sample.rows, weights, sample.pool);
  const seen = new Set<number>();
  for (const row of order) {
    const page = sample.pages[row] as number;
    if (seen.has(page)) continue;
    seen.add(page);
    if (sample.relevantPages.has(page)) return 1 / seen.size;
    if (seen.size >= depth) return 0;
  }
  return 0;
}

/** Mean reciprocal rank (by page) of the samples under the given weights, ranked as the retriever ranks. */
export function meanReciprocalRank(samples: readonly WeightCalibrationSample[], weights: SignalWeights, depth = 10): number {
  const vector = weightVector(weights);
  const prepared = samples.map(prepare);
  return prepared.reduce((sum, s) => sum + reciprocalRank(s, vector, depth), 0) / Math.max(1, prepared.length);
}

/**
 * Fits signal weights to questions with known answers by coordinate ascent: each signal in turn
 * takes the grid value that most raises the mean reciprocal rank (by page), keeping its current
 * value unless another is strictly better, until a pass changes nothing. Rankings are computed by
 * the retriever's own ranking function, so fitted weights mean what they do live.
 */
export function fitSignalWeights(samples: readonly WeightCalibrationSample[], options: WeightFitOptions = {}): WeightFit {
  const depth = options.depth ?? 10;
  const grid = options.grid ?? DEFAULT_GRID;
  const prepared = samples.map(prepare);
  const start = options.start ?? NEUTRAL_SIGNAL_WEIGHTS;
  const weights: Record<SignalName, number> = { ...start };
  const score = (): number => {
    const vector = weightVector(weights);
    return prepared.reduce((sum, s) => sum + reciprocalRank(s, vector, depth), 0) / Math.max(1, prepared.length);
  };
  const startMrr = score();
  let best = startMrr;
  const free = SIGNAL_NAMES.filter((name) => name !== 'bm25' && !(options.fixed ?? []).includes(name));
  for (let round = 0; round < (options.rounds ?? 4); round++) {
    let changed = false;
    for (const name of free) {
      const sign = start[name] < 0 ? -1 : 1;
      const current = weights[name];
      let bestValue = current;
      for (const value of grid) {
        const candidate = sign * value;
        if (candidate === current) continue;
        weights[name] = candidate;
        const s = score();
        if (s > best + Math.max(1e-12, options.minGain ?? 0)) {
          best = s;
          bestValue = candidate;
        }
      }
      weights[name] = bestValue;
      if (bestValue !== current) changed = true;
    }
    if (!changed) break;
  }
  return { weights: { ...weights }, mrr: best, startMrr };
}
