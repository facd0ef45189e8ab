import type { CompareQualityGroup, CompareReport, CompareSidePerformance, CompareVerdict } from './compare-types.js';
import { formatDelta, formatScore } from './compare-verdicts.js';
import { formatUsd } from './internal/format.js';

/** A table cell: no line breaks, pipes escaped. */
function cell(value: string): string {
  return value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function row(values: readonly string[]): string {
  return `| ${values.map(cell).join(' | ')} |`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly ('l' | 'r')[]): string[] {
  const rule = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [row(header), `| ${rule.join(' | ')} |`, ...rows.map(row)];
}

const score = (value: number | null): string => (value === null ? 'n/a' : formatScore(value));
const ms = (value: number | null | undefined): string => (value === null || value === undefined ? 'n/a' : value < 10 ? value.toFixed(1) : value.toFixed(0));

function status(verdict: CompareVerdict): string {
  return verdict.ok === null ? 'not measured' : verdict.ok ? 'pass' : 'fail';
}

function opLatency(p: CompareSidePerformance, op: 'embed' | 'rerank' | 'chat'): string {
  const l = p.operations[op];
  return l ? `${ms(l.p50Ms)} / ${ms(l.p95Ms)} (${l.count})` : 'n/a';
}

function probe(p: CompareSidePerformance): string {
  return `${p.probe.calls}, ${formatUsd(p.probe.costUsd)}${p.probe.unpricedCalls > 0 ? ` + ${p.probe.unpricedCalls} unpriced` : ''}`;
}

function refusal(q: CompareQualityGroup | undefined): string {
  if (!q || q.refusal.accuracy === null) return 'n/a';
  return `${formatScore(q.refusal.accuracy)} (${q.refusal.correct}/${q.refusal.questions})`;
}

/**
 * The report as Markdown: verdicts, a summary table per side, agreement, the charts (referenced
 * by file name, e.g. `![…](latency.svg)`, for those present in `charts`), quality per category,
 * per-question agreement, notes and how to reproduce. Write the charts from `renderCharts` next
 * to it.
 */
export function renderMarkdown(report: CompareReport, charts: Record<string, string>): string {
  const { a, b } = report.sides;
  const la = report.latency.a;
  const lb = report.latency.b;
  const qa = report.quality?.a;
  const qb = report.quality?.b;
  const k = report.k;
  const lines: string[] = [];

  lines.push(`# Should we switch from ${a.name} to ${b.name}?`, '');
  lines.push(
    `Generated ${report.generatedAt}: ${report.questions} questions, top ${k} compared, ` +
      `${report.corpus.documents} documents (${report.corpus.chunks} chunks) in the shared store. A = ${a.name} (profile \`${a.profile}\`), B = ${b.name} (profile \`${b.profile}\`).`,
    '',
  );

  lines.push('## Verdicts', '');
  lines.push(
    ...table(
      ['Part', 'Result', 'Verdict'],
      [
        ['Embedder', status(report.verdicts.embedder), report.verdicts.embedder.text],
        ['Reranker', status(report.verdicts.reranker), report.verdicts.reranker.text],
        ['Answer generator', status(report.verdicts.answers), report.verdicts.answers.text],
        ['Retrieval overall', status(report.verdicts.retrieval), report.verdicts.retrieval.text],
        ['Quality (B − A)', status(report.verdicts.quality), report.verdicts.quality.text],
      ],
    ),
    '',
  );

  lines.push('## Summary', '');
  const chain = (steps: readonly string[]): string => (steps.length ? steps.join(' → ') : 'none');
  lines.push(
    ...table(
      ['', `A: ${a.name}`, `B: ${b.name}`],
      [
        ['Answer chain', chain(a.models.answer), chain(b.models.answer)],
        ['Embedder chain', chain(a.models.embedder), chain(b.models.embedder)],
        ['Reranker chain', chain(a.models.reranker), chain(b.models.reranker)],
        ...(qa && qb
          ? [
              ['hit@1 / hit@5 / hit@10', `${score(qa.hitAt1)} / ${score(qa.hitAt5)} / ${score(qa.hitAt10)}`, `${score(qb.hitAt1)} / ${score(qb.hitAt5)} / ${score(qb.hitAt10)}`],
              ['MRR@10', score(qa.mrrAt10), score(qb.mrrAt10)],
              ['Refusal accuracy', refusal(qa), refusal(qb)],
            ]
          : []),
        ['embed p50 / p95 ms (events)', opLatency(la, 'embed'), opLatency(lb, 'embed')],
        ['rerank p50 / p95 ms (events)', opLatency(la, 'rerank'), opLatency(lb, 'rerank')],
        ['chat p50 / p95 ms (events)', opLatency(la, 'chat'), opLatency(lb, 'chat')],
        ['End to end p50 / p95 ms', `${ms(la.endToEnd.p50Ms)} / ${ms(la.endToEnd.p95Ms)}`, `${ms(lb.endToEnd.p50Ms)} / ${ms(lb.endToEnd.p95Ms)}`],
        ['Model calls per answer', la.modelCallsPerAnswer.toFixed(2), lb.modelCallsPerAnswer.toFixed(2)],
        ['Cost per 1,000 questions', formatUsd(la.costPer1000QuestionsUsd), formatUsd(lb.costPer1000QuestionsUsd)],
        ['Calls without a price', String(la.unpricedCalls), String(lb.unpricedCalls)],
        ['Peak RSS (MiB, process)', la.peakRssMb.toFixed(0), lb.peakRssMb.toFixed(0)],
        ['Measurement calls, not counted above (calls, cost)', probe(la), probe(lb)],
      ],
    ),
    '',
  );

  lines.push('## Agreement', '');
  const measured = (values: ReadonlyArray<number | null>): string => `${values.filter((v) => v !== null).length} of ${values.length}`;
  lines.push(
    ...table(
      ['Measure', 'Value', 'Questions measured'],
      [
        [`Jaccard@${k} of the top ${k}`, score(report.retrieval.jaccardAtK), measured(report.retrieval.perQuestion.map((q) => q.jaccardAtK))],
        ['Kendall tau of the shared top-k chunks', score(report.retrieval.kendallTau), measured(report.retrieval.perQuestion.map((q) => q.kendallTau))],
        [`Embedder recall@${k} (B against A)`, score(report.retrieval.embedderRecallAtK), measured(report.retrieval.perQuestion.map((q) => q.embedderRecallAtK))],
        [`Reranker tau (the same ${report.reranker.pool} candidates)`, score(report.reranker.kendallTau), measured(report.reranker.perQuestion.map((q) => q.kendallTau))],
        ['Same citations', score(report.answers.sameCitations), String(report.questions)],
        ['Citation Jaccard', score(report.answers.citationJaccard), String(report.questions)],
        ['Both refused / both answered / disagree', `${report.answers.bothRefused} / ${report.answers.bothAnswered} / ${report.answers.disagreeRefusal}`, String(report.questions)],
      ],
    ),
    '',
  );

  const captions: Record<string, string> = {
    'latency.svg': 'Latency per operation',
    'cost.svg': 'Cost per 1,000 questions',
    'agreement.svg': 'Agreement with thresholds',
    'quality.svg': 'Retrieval quality',
  };
  const names = Object.keys(charts);
  if (names.length > 0) {
    lines.push('## Charts', '');
    for (const name of names) lines.push(`![${captions[name] ?? name}](${name})`, '');
  }

  if (qa && qb && report.quality) {
    lines.push('## Quality per category', '');
    const categories = [...new Set([...Object.keys(qa.categories), ...Object.keys(qb.categories)])].sort();
    lines.push(
      ...table(
        ['Category', 'In scope', 'A hit@5', 'B hit@5', 'A MRR@10', 'B MRR@10', 'A refusal accuracy', 'B refusal accuracy'],
        categories.map((c) => [
          c,
          String(qa.categories[c]?.inScope ?? 0),
          score(qa.categories[c]?.hitAt5 ?? null),
          score(qb.categories[c]?.hitAt5 ?? null),
          score(qa.categories[c]?.mrrAt10 ?? null),
          score(qb.categories[c]?.mrrAt10 ?? null),
          refusal(qa.categories[c]),
          refusal(qb.categories[c]),
        ]),
      ),
      '',
    );
    const { hitAt5, mrrAt10 } = report.quality.delta;
    lines.push(`B − A: hit@5 ${hitAt5 === null ? 'n/a' : formatDelta(hitAt5)}, MRR@10 ${mrrAt10 === null ? 'n/a' : formatDelta(mrrAt10)}.`, '');
  }

  lines.push('## Per question', '');
  lines.push(
    ...table(
      ['Question', `Jaccard@${k}`, 'tau', `recall@${k}`, 'reranker tau', 'same citations', 'A refused', 'B refused'],
      report.results.map((r, i) => [
        r.id,
        score(report.retrieval.perQuestion[i]?.jaccardAtK ?? null),
        score(report.retrieval.perQuestion[i]?.kendallTau ?? null),
        score(report.retrieval.perQuestion[i]?.embedderRecallAtK ?? null),
        score(report.reranker.perQuestion[i]?.kendallTau ?? null),
        report.answers.perQuestion[i]?.sameCitations ? 'yes' : 'no',
        r.a.refused ? 'yes' : 'no',
        r.b.refused ? 'yes' : 'no',
      ]),
    ),
    '',
  );

  if (report.notes.length > 0) {
    lines.push('## Notes', '');
    for (const note of report.notes) lines.push(`- ${note.replace(/\r?\n/g, ' ')}`);
    lines.push('');
  }

  lines.push('## How to reproduce', '');
  lines.push(
    `The JSON report holds every question (\`results[].id\`, \`question\`, \`category\`, \`evidence\`) and the raw per-question data each number above is computed from. To run the comparison again:`,
    '',
    '```ts',
    "import { readFile } from 'node:fs/promises';",
    "import { resolveConfig } from '@ragbridge/config-profiles';",
    "import { compareProfiles } from '@ragbridge/compare';",
    '',
    "const previous = JSON.parse(await readFile('report.json', 'utf8'));",
    'const report = await compareProfiles({',
    `  a: { name: ${JSON.stringify(a.name)}, runtime: { config: await resolveConfig({ profile: ${JSON.stringify(a.profile)} }) } },`,
    `  b: { name: ${JSON.stringify(b.name)}, runtime: { config: await resolveConfig({ profile: ${JSON.stringify(b.profile)} }) } },`,
    '  questions: previous.results.map(({ id, question, category, evidence }) => ({ id, question, category, evidence })),',
    `  corpus: ${JSON.stringify(report.corpus.paths)},`,
    "  storePath: '.ragbridge/compare.db',",
    `  k: ${k},`,
    '});',
    '```',
    '',
    'Use the same configuration files and environment (tokens, `HF_HUB_OFFLINE`) as this run; hosted models may answer differently from one day to the next.',
    '',
  );
  return lines.join('\n');
}
