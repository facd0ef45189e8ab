import type { CrossValidation } from './eval-cross-validation.js';
import type { EvalSummary } from './metrics.js';

const fmt = (x: number): string => x.toFixed(3);

/** The printed form of a summary: retrieval, categories, refusals, citation support. */
export function formatSummary(title: string, s: EvalSummary): string {
  const lines = [`${title}: ${s.inScope.questions} in scope, ${s.refusals.outOfScope} out of scope`];
  lines.push(`  hit@1 ${fmt(s.inScope.hitAt1)}  hit@5 ${fmt(s.inScope.hitAt5)}  hit@10 ${fmt(s.inScope.hitAt10)}  MRR@10 ${fmt(s.inScope.mrrAt10)}`);
  for (const [category, m] of Object.entries(s.categories)) {
    lines.push(`  ${category.padEnd(12)} n=${m.questions}  hit@1 ${fmt(m.hitAt1)}  hit@5 ${fmt(m.hitAt5)}  MRR@10 ${fmt(m.mrrAt10)}`);
  }
  const r = s.refusals;
  const accuracy = (r.outOfScopeRefused + (r.inScope - r.inScopeRefused)) / Math.max(1, r.outOfScope + r.inScope);
  lines.push(`Refusals: ${r.outOfScopeRefused}/${r.outOfScope} out-of-scope refused, ${r.inScopeRefused}/${r.inScope} in-scope refused; refusal accuracy ${fmt(accuracy)}`);
  lines.push(`Citation support: ${s.citationSupport.supported}/${s.citationSupport.cited} cited pages hold the evidence (${fmt(s.citationSupport.share)})`);
  if (s.expectedContent.answers > 0) {
    lines.push(`Expected content: ${s.expectedContent.containing}/${s.expectedContent.answers} answers contain every must_contain string (${fmt(s.expectedContent.share)})`);
  }
  return `${lines.join('\n')}\n`;
}

/** The printed form of a cross-validation: pooled held-out figures, spread over folds, what was fitted on all. */
export function formatCrossValidation(cv: CrossValidation): string {
  const lines = [`\n${formatSummary(`Cross-validated (${cv.folds} folds, every question scored once while held out)`, cv.pooled).trimEnd()}`];
  lines.push('Over folds (mean ± sd):');
  for (const [name, { mean, sd }] of Object.entries(cv.spread)) lines.push(`  ${name.padEnd(22)} ${fmt(mean)} ± ${fmt(sd)}`);
  const weights = Object.entries(cv.fitOnAll.weights).map(([k, v]) => `${k} ${v}`);
  lines.push(`Fitted on all questions: signals { ${weights.join(', ')} }`);
  const p = cv.fitOnAll.refusal;
  lines.push(
    `  refusal { minCoverage ${p.minCoverage}, refuseUnknownNames ${p.refuseUnknownNames}, minCoverageWithWeakNames ${p.minCoverageWithWeakNames}` +
      `${p.denseRescueSimilarity !== undefined ? `, denseRescueSimilarity ${p.denseRescueSimilarity.toFixed(3)}` : ''}${p.minRerankScore !== undefined ? `, minRerankScore ${p.minRerankScore.toFixed(3)}` : ''} }`,
  );
  return `${lines.join('\n')}\n`;
}
