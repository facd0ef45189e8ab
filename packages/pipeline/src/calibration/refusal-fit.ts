import { decideRefusal, DEFAULT_REFUSAL_POLICY, type RefusalPolicy } from '../answer/refusal-policy.js';
import type { RetrievalEvidence } from '../retrieval/evidence.js';

/** One question for refusal calibration: the evidence its retrieval found, and whether the documents answer it. */
export interface RefusalCalibrationSample {
  evidence: RetrievalEvidence;
  hitCount: number;
  answerable: boolean;
}

/** Options of {@link fitRefusalPolicy}. */
export interface RefusalFitOptions {
  /** How much worse refusing an answerable question is than answering an unanswerable one. @default 2 */
  falseRefusalCost?: number;
}

/** The result of {@link fitRefusalPolicy}, with its rates on the samples. */
export interface RefusalFit {
  policy: RefusalPolicy;
  /** Share of unanswerable samples refused. */
  outOfScopeRefused: number;
  /** Share of answerable samples refused. */
  inScopeRefused: number;
}

const steps = (from: number, to: number, step: number): number[] => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => Number((from + i * step).toFixed(4)));

/** Cut points between the observed values (plus "off"), for thresholds on scores of unknown scale. */
function cuts(values: number[]): Array<number | undefined> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const out: Array<number | undefined> = [undefined];
  for (let i = 1; i < sorted.length; i++) out.push(((sorted[i - 1] as number) + (sorted[i] as number)) / 2);
  // At most ~12 cut points (every k-th), so the search stays fast with dense and reranker scores.
  const every = Math.max(1, Math.ceil(out.length / 12));
  return out.filter((_, i) => i === 0 || i % every === 0);
}

/**
 * Fits the refusal policy to questions labelled answerable or not: a grid search for the policy
 * that refuses most unanswerable questions per answerable question refused (weighted by
 * `falseRefusalCost`). Among equally good policies it takes the one nearest the middle of their
 * range, so a threshold sits between the classes rather than on an example. Dense and reranker
 * thresholds are searched only when the samples carry those scores.
 */
export function fitRefusalPolicy(samples: readonly RefusalCalibrationSample[], options: RefusalFitOptions = {}): RefusalFit {
  const cost = options.falseRefusalCost ?? 2;
  const answerable = samples.filter((s) => s.answerable).length;
  const unanswerable = samples.length - answerable;
  const rates = (policy: RefusalPolicy): { outOfScopeRefused: number; inScopeRefused: number } => {
    let refusedOut = 0;
    let refusedIn = 0;
    for (const s of samples) {
      if (!decideRefusal(s.evidence, s.hitCount, policy).refuse) continue;
      if (s.answerable) refusedIn++;
      else refusedOut++;
    }
    return { outOfScopeRefused: unanswerable ? refusedOut / unanswerable : 0, inScopeRefused: answerable ? refusedIn / answerable : 0 };
  };
  const dense = cuts(samples.flatMap((s) => (s.evidence.denseSimilarity === undefined ? [] : [s.evidence.denseSimilarity])));
  const rerank = cuts(samples.flatMap((s) => (s.evidence.rerankScore === undefined ? [] : [s.evidence.rerankScore])));
  const candidates: Array<{ policy: RefusalPolicy; objective: number }> = [];
  let best = -Infinity;
  for (const refuseUnknownNames of [true, false]) {
    for (const minCoverage of steps(0, 0.7, 0.02)) {
      for (const minCoverageWithWeakNames of steps(0, 1, 0.05)) {
        for (const denseRescueSimilarity of dense) {
          for (const minRerankScore of rerank) {
            const policy: RefusalPolicy = {
              minCoverage,
              refuseUnknownNames,
              minCoverageWithWeakNames,
              ...(denseRescueSimilarity !== undefined && { denseRescueSimilarity }),
              ...(minRerankScore !== undefined && { minRerankScore }),
            };
            const r = rates(policy);
            const objective = r.outOfScopeRefused - cost * r.inScopeRefused;
            if (objective > best + 1e-12) {
              best = objective;
              candidates.length = 0;
            }
            if (objective >= best - 1e-12) candidates.push({ policy, objective });
          }
        }
      }
    }
  }
  const policy = middleOf(candidates.map((c) => c.policy));
  return { policy, ...rates(policy) };
}

/** Of equally good policies, the one nearest the median of each threshold (the middle of the plateau). */
function middleOf(policies: RefusalPolicy[]): RefusalPolicy {
  if (policies.length === 0) return { ...DEFAULT_REFUSAL_POLICY };
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const unknown = policies.filter((p) => p.refuseUnknownNames).length * 2 >= policies.length;
  const pool = policies.filter((p) => p.refuseUnknownNames === unknown);
  const center = { minCoverage: median(pool.map((p) => p.minCoverage)), weak: median(pool.map((p) => p.minCoverageWithWeakNames)) };
  const distance = (p: RefusalPolicy): number => Math.abs(p.minCoverage - center.minCoverage) + Math.abs(p.minCoverageWithWeakNames - center.weak);
  return pool.reduce((a, b) => (distance(b) < distance(a) ? b : a));
}
