import type { CompareThresholds, CompareVerdict } from './compare-types.js';

/**
 * The thresholds of the verdicts. Values are compared unrounded (`value >= threshold`); the
 * verdict texts show them with two decimals.
 */
export const COMPARE_THRESHOLDS: Readonly<CompareThresholds> = Object.freeze({
  embedderRecallAtK: 0.9,
  rerankerTau: 0.7,
  sameCitations: 0.8,
  refusalAgreement: 0.9,
  jaccardAtK: 0.7,
});

/** Two decimals, as every verdict shows numbers. */
export function formatScore(value: number): string {
  return value.toFixed(2);
}

/** Two decimals with a sign (`+0.17`, `-0.10`, `+0.00`). */
export function formatDelta(value: number): string {
  const text = value.toFixed(2);
  if (text === '-0.00') return '+0.00';
  return text.startsWith('-') ? text : `+${text}`;
}

/** Embedder: B's dense top k against A's. */
export function embedderVerdict(recall: number | null, k: number, unmeasured: string): CompareVerdict {
  const threshold = COMPARE_THRESHOLDS.embedderRecallAtK;
  if (recall === null) return { ok: null, text: `not measured — ${unmeasured}` };
  const values = `recall@${k} ${formatScore(recall)} (threshold ${formatScore(threshold)})`;
  return recall >= threshold ? { ok: true, text: `safe to switch — ${values}` } : { ok: false, text: `results differ — ${values}` };
}

/** Reranker: Kendall tau-b of the two rerankers' scores of the same candidates. */
export function rerankerVerdict(tau: number | null, unmeasured: string): CompareVerdict {
  const threshold = COMPARE_THRESHOLDS.rerankerTau;
  if (tau === null) return { ok: null, text: `not measured — ${unmeasured}` };
  return tau >= threshold
    ? { ok: true, text: `same order — tau ${formatScore(tau)} (threshold ${formatScore(threshold)})` }
    : { ok: false, text: `order differs, tau ${formatScore(tau)} (threshold ${formatScore(threshold)})` };
}

/** Answer generator: same citations and the same refusals. */
export function answersVerdict(sameCitations: number, refusalAgreement: number): CompareVerdict {
  const t = COMPARE_THRESHOLDS;
  const ok = sameCitations >= t.sameCitations && refusalAgreement >= t.refusalAgreement;
  const values =
    `same citations ${formatScore(sameCitations)} (threshold ${formatScore(t.sameCitations)}), ` +
    `refusal agreement ${formatScore(refusalAgreement)} (threshold ${formatScore(t.refusalAgreement)})`;
  return { ok, text: `${ok ? 'same answers' : 'answers differ'} — ${values}` };
}

/** Retrieval overall: overlap of the top k. */
export function retrievalVerdict(jaccardAtK: number, k: number): CompareVerdict {
  const threshold = COMPARE_THRESHOLDS.jaccardAtK;
  const values = `Jaccard@${k} ${formatScore(jaccardAtK)} (threshold ${formatScore(threshold)})`;
  return jaccardAtK >= threshold ? { ok: true, text: `same results — ${values}` } : { ok: false, text: `results differ — ${values}` };
}

/** Differences this small are rounding, not a change. */
const EPSILON = 1e-12;

/** Quality: B − A on hit@5 and MRR@10; `ok` when B is worse on neither. */
export function qualityVerdict(a: { hitAt5: number; mrrAt10: number }, b: { hitAt5: number; mrrAt10: number }): CompareVerdict {
  const hit = b.hitAt5 - a.hitAt5;
  const mrr = b.mrrAt10 - a.mrrAt10;
  const sign = (d: number): number => (Math.abs(d) < EPSILON ? 0 : Math.sign(d));
  const signs = [sign(hit), sign(mrr)];
  const word = signs.every((s) => s === 0)
    ? 'no change'
    : signs.every((s) => s >= 0)
      ? 'B retrieves better'
      : signs.every((s) => s <= 0)
        ? 'B retrieves worse'
        : 'mixed';
  return {
    ok: signs.every((s) => s >= 0),
    text:
      `${word} — hit@5 ${formatDelta(hit)} (${formatScore(a.hitAt5)} → ${formatScore(b.hitAt5)}), ` +
      `MRR@10 ${formatDelta(mrr)} (${formatScore(a.mrrAt10)} → ${formatScore(b.mrrAt10)})`,
  };
}
