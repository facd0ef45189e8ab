import type { CompareReport } from './compare-types.js';
import { formatScore } from './compare-verdicts.js';
import { formatUsd } from './internal/format.js';
import { svgBarChart } from './internal/svg-bar-chart.js';

const COLOR_A = '#4c78a8';
const COLOR_A_LIGHT = '#9ecae9';
const COLOR_B = '#e45756';
const COLOR_B_LIGHT = '#ff9d98';
const COLOR_BOTH = '#54a24b';

function formatMs(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) < 10 ? value.toFixed(1) : Math.round(value).toString();
}


/**
 * The report's charts as standalone SVG documents, by file name: `latency.svg` (p50 / p95 per
 * operation and end to end, per side), `cost.svg` (cost per 1,000 questions per side),
 * `agreement.svg` (Jaccard@k, Kendall tau, embedder recall, reranker tau, same citations, with
 * the verdict thresholds) and, when questions carry evidence, `quality.svg` (hit@k and MRR@10 per
 * side). Plain SVG: no scripts, fonts or external resources.
 */
export function renderCharts(report: CompareReport): Record<string, string> {
  const a = report.sides.a.name;
  const b = report.sides.b.name;
  const la = report.latency.a;
  const lb = report.latency.b;
  const charts: Record<string, string> = {};

  const operations = ['embed', 'rerank', 'chat'] as const;
  charts['latency.svg'] = svgBarChart({
    title: 'Latency per operation',
    subtitle: `${a} (A) vs ${b} (B), ${report.questions} questions, nearest-rank percentiles`,
    xLabel: 'Operation (from the answers’ usage events) and end to end (pipeline.ask)',
    yLabel: 'Milliseconds',
    series: [
      { name: `${a} p50`, color: COLOR_A_LIGHT },
      { name: `${a} p95`, color: COLOR_A },
      { name: `${b} p50`, color: COLOR_B_LIGHT },
      { name: `${b} p95`, color: COLOR_B },
    ],
    groups: [
      ...operations.map((op) => ({
        label: op,
        values: [la.operations[op]?.p50Ms ?? null, la.operations[op]?.p95Ms ?? null, lb.operations[op]?.p50Ms ?? null, lb.operations[op]?.p95Ms ?? null],
      })),
      { label: 'end to end', values: [la.endToEnd.p50Ms, la.endToEnd.p95Ms, lb.endToEnd.p50Ms, lb.endToEnd.p95Ms] },
    ],
    format: formatMs,
  });

  charts['cost.svg'] = svgBarChart({
    title: 'Cost per 1,000 questions',
    subtitle: 'Known prices of the answers’ model calls (cache hits and local steps are free)',
    xLabel: 'Profile',
    yLabel: 'US dollars per 1,000 questions',
    series: [
      { name: a, color: COLOR_A },
      { name: b, color: COLOR_B },
    ],
    groups: [{ label: 'cost per 1,000 questions', values: [la.costPer1000QuestionsUsd, lb.costPer1000QuestionsUsd] }],
    format: formatUsd,
    footnote: `Calls without a known price (not included): ${a} ${la.unpricedCalls}, ${b} ${lb.unpricedCalls}`,
  });

  const t = report.thresholds;
  const threshold = (value: number): { value: number; label: string } => ({ value, label: `threshold ${formatScore(value)}` });
  const agreement = [
    { label: `Jaccard@${report.k}`, values: [report.retrieval.jaccardAtK], threshold: threshold(t.jaccardAtK) },
    { label: 'Kendall tau (top k)', values: [report.retrieval.kendallTau] },
    { label: `embedder recall@${report.k}`, values: [report.retrieval.embedderRecallAtK], threshold: threshold(t.embedderRecallAtK) },
    { label: 'reranker tau', values: [report.reranker.kendallTau], threshold: threshold(t.rerankerTau) },
    { label: 'same citations', values: [report.answers.sameCitations], threshold: threshold(t.sameCitations) },
  ];
  const negative = agreement.some((g) => (g.values[0] ?? 0) < 0);
  charts['agreement.svg'] = svgBarChart({
    title: `Agreement of ${a} and ${b}`,
    subtitle: 'Means over the questions; n/a: not measured (see the report’s notes)',
    xLabel: 'Measure (dashed: the verdict’s threshold)',
    yLabel: negative ? 'Agreement (-1 to 1)' : 'Agreement (0 to 1)',
    series: [{ name: `${a} vs ${b}`, color: COLOR_BOTH }],
    groups: agreement,
    format: formatScore,
    min: negative ? -1 : 0,
    max: 1,
  });

  const qa = report.quality?.a;
  const qb = report.quality?.b;
  if (qa && qb && qa.inScope > 0) {
    charts['quality.svg'] = svgBarChart({
      title: 'Retrieval quality',
      subtitle: `${qa.inScope} in-scope questions; a hit is an evidence page among the first distinct pages retrieved`,
      xLabel: 'Measure',
      yLabel: 'Share of questions (MRR: mean 1/rank)',
      series: [
        { name: a, color: COLOR_A },
        { name: b, color: COLOR_B },
      ],
      groups: [
        { label: 'hit@1', values: [qa.hitAt1, qb.hitAt1] },
        { label: 'hit@5', values: [qa.hitAt5, qb.hitAt5] },
        { label: 'hit@10', values: [qa.hitAt10, qb.hitAt10] },
        { label: 'MRR@10', values: [qa.mrrAt10, qb.mrrAt10] },
      ],
      format: formatScore,
      min: 0,
      max: 1,
    });
  }
  return charts;
}
