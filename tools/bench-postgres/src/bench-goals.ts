import { table } from './bench-stats.js';

/** The acceptance goals of issue #17's benchmark, defined once. */
export const GOALS = {
  chunks: 100_000,
  keywordP50Ms: 10,
  denseP50Ms: 5,
  denseRecall: 0.95,
  replicaSpeedup: 1.7,
  replicaErrors: 0,
} as const;

/** Each summary row's goal and target, in the order printed. */
const ROWS = {
  chunks: { goal: 'chunks stored', target: `≥ ${GOALS.chunks.toLocaleString('en-US')}` },
  ingest: { goal: 'ingest rate', target: 'reported' },
  keyword: { goal: 'keyword top-10 p50 (retriever keyword stage)', target: `≤ ${GOALS.keywordP50Ms} ms` },
  keywordStore: { goal: '  the store call alone (keywordCandidates), p50', target: 'reported' },
  dense: { goal: 'dense top-10 p50 at the default efSearch', target: `≤ ${GOALS.denseP50Ms} ms at recall@10 ≥ ${GOALS.denseRecall}` },
  replicasAsk: { goal: 'two demo replicas vs one: /api/ask', target: `≥ ${GOALS.replicaSpeedup}× one replica, ${GOALS.replicaErrors} errors` },
  replicasOpenai: { goal: 'two demo replicas vs one: /v1/chat/completions', target: `≥ ${GOALS.replicaSpeedup}× one replica, ${GOALS.replicaErrors} errors` },
} as const;

/** A summary row's key. */
export type GoalKey = keyof typeof ROWS;

/** What a phase measured for a goal; `pass` undefined for numbers that are only reported. */
export interface GoalResult {
  measured: string;
  pass?: boolean;
}

/** The summary table: every goal, its target, what was measured, and PASS, MISS, `reported` or `not run`. */
export function goalTable(results: Partial<Record<GoalKey, GoalResult>>): string {
  const rows = (Object.keys(ROWS) as GoalKey[]).map((key) => {
    const result = results[key];
    const verdict = result === undefined ? 'not run' : result.pass === undefined ? 'reported' : result.pass ? 'PASS' : 'MISS';
    return [ROWS[key].goal, ROWS[key].target, result?.measured ?? '—', verdict];
  });
  return table([['goal', 'target', 'measured', 'result'], ...rows]);
}
