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
  /**
   * The share of answerable questions the coverage threshold may refuse: `minCoverage` is set from
   * the answerable questions alone (between the coverages around that share), which many
   * questions estimate well, instead of from the few unanswerable ones. The unknown-name rule and
   * held-out variance add about two points to the share refused in cross-validation, so 0.02 keeps
   * it near 0.05. @default 0.02
   */
  coverageFalseRefusal?: number;
}

/** The result of {@link fitRefusalPolicy}, with its rates on the samples. */
export interface RefusalFit {
  policy: RefusalPolicy;
  /** Share of unanswerable samples refused. */
  outOfScopeRefused: number;
  /** Share of answerable samples refused. */
  inScopeRefused: number;
}

/** How much more coverage a question naming something the documents mention only in passing needs. */
const WEAK_NAME_FACTOR = 2;

/** Cut points between the observed values (plus "off"), for thresholds on scores of unknown scale. */
function cuts(values: number[]): Array<number | undefined> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const out: Array<number | undefined> = [undefined];
  for (let i = 1; i < sorted.length; i++) out.push(((sorted[i - 1] as number) + (sorted[i] as number)) / 2);
  // Every gap between observed scores is a candidate; past 200 (large sets), every k-th.
  const every = Math.max(1, Math.ceil(out.length / 200));
  return out.filter((_, i) => i === 0 || i % every === 0);
}

/**
 * Fits the refusal policy to questions labelled answerable or not. The coverage threshold comes
 * from the answerable questions alone (it may refuse `coverageFalseRefusal` of them), and a
 * question naming something mentioned only in passing needs twice that coverage; the other
 * choices (the unknown-name rule, and dense and reranker thresholds when the samples carry those
 * scores) come from a grid search for the policy that refuses most unanswerable
 * questions per answerable question refused (weighted by `falseRefusalCost`). Among equally good
 * policies it takes the one nearest the middle of their range, so a threshold sits between the
 * classes rather than on an example.
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
  const target = options.coverageFalseRefusal ?? 0.02;
  /** The coverage below which at most `target` of the answerable questions (not refused for unknown names) fall. */
  const coverageFloor = (refuseUnknownNames: boolean): number => {
    const coverages = samples
      .filter((s) => s.answerable && !(refuseUnknownNames && s.evidence.missingSpecificTerms.length > 0))
      .map((s) => s.evidence.coverage)
      .sort((a, b) => a - b);
    const k = Math.floor(target * coverages.length);
    if (coverages.length === 0) return 0;
    // Midway between the k-th and (k+1)-th lowest, so the threshold sits between examples.
    return k === 0 ? 0 : Number((((coverages[k - 1] as number) + (coverages[k] as number)) / 2).toFixed(4));
  };
  const dense = cuts(samples.flatMap((s) => (s.evidence.denseSimilarity === undefined ? [] : [s.evidence.denseSimilarity])));
  const rerank = cuts(samples.flatMap((s) => (s.evidence.rerankScore === undefined ? [] : [s.evidence.rerankScore])));
  const candidates: Array<{ policy: RefusalPolicy; objective: number }> = [];
  let best = -Infinity;
  for (const refuseUnknownNames of [true, false]) {
    const minCoverage = coverageFloor(refuseUnknownNames);
    // A name the documents mention only in passing doubles the coverage a question needs: a fixed
    // rule, since a handful of such questions cannot calibrate a threshold of its own.
    const minCoverageWithWeakNames = Math.min(1, Number((WEAK_NAME_FACTOR * minCoverage).toFixed(4)));
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
  const policy = middleOf(candidates.map((c) => c.policy));
  return { policy, ...rates(policy) };
}

/**
 * Of equally good policies, the one nearest the median of each searched threshold (the middle of
 * the plateau), so a threshold sits between examples rather than on one.
 */
function middleOf(policies: RefusalPolicy[]): RefusalPolicy {
  if (policies.length === 0) return { ...DEFAULT_REFUSAL_POLICY };
  const unknown = policies.filter((p) => p.refuseUnknownNames).length * 2 >= policies.length;
  const pool = policies.filter((p) => p.refuseUnknownNames === unknown);
  const median = (values: number[]): number | undefined => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] : undefined);
  const field = (p: RefusalPolicy, name: 'denseRescueSimilarity' | 'minRerankScore'): number => p[name] ?? Number.NaN;
  const centers = (['denseRescueSimilarity', 'minRerankScore'] as const).map((name) => ({ name, center: median(pool.map((p) => field(p, name)).filter((v) => !Number.isNaN(v))) }));
  const distance = (p: RefusalPolicy): number =>
    centers.reduce((d, { name, center }) => d + (center === undefined ? 0 : Number.isNaN(field(p, name)) ? 1 : Math.abs(field(p, name) - center)), 0);
  return pool.reduce((a, b) => (distance(b) < distance(a) ? b : a));
}
