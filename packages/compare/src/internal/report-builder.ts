import type { ModelOperation } from '@ragbridge/core-interfaces';
import { TERMINAL_BACKENDS } from '@ragbridge/runtime';
import type {
  CompareEvidence,
  CompareQualityGroup,
  CompareQuestionResult,
  CompareReport,
  CompareSideInfo,
  CompareSidePerformance,
  CompareSideQuality,
  CompareSideResult,
} from '../compare-types.js';
import { answersVerdict, COMPARE_THRESHOLDS, embedderVerdict, qualityVerdict, rerankerVerdict, retrievalVerdict } from '../compare-verdicts.js';
import { jaccard, kendallTauB, mean, nearestRank, rankingTau, sameSet } from './statistics.js';

/** Everything measured; the report is computed from it. */
export interface RawComparison {
  generatedAt: string;
  sides: { a: CompareSideInfo; b: CompareSideInfo };
  k: number;
  rerankPool: number;
  corpus: CompareReport['corpus'];
  results: CompareQuestionResult[];
  /** Peak RSS in bytes during each side's questions. */
  peakRssBytes: { a: number; b: number };
  /** Notes of the run (failures, measurement limits). */
  notes: string[];
}

type Side = 'a' | 'b';
const SIDES: readonly Side[] = ['a', 'b'];
const OPERATIONS: readonly ModelOperation[] = ['embed', 'rerank', 'chat'];
const LAST_STEPS = new Set<string>(Object.values(TERMINAL_BACKENDS));
const MIB = 1024 * 1024;

/** A cited or retrieved page as one key. */
const pageKey = (doc: string, page: number): string => `${doc}\u0000${page}`;

/** Why the embedder comparison has no number: the first side that lacks dense lists, and its reason. */
function embedderGap(info: CompareSideInfo, results: readonly CompareQuestionResult[], side: Side): string | undefined {
  if (!info.embedderIdentity) return `${info.name} has no embedder (keyword retrieval only)`;
  // The error's name only: its full message is in the notes once.
  if (info.indexError) return `${info.name}'s embedder could not index the store (${/^\w+/.exec(info.indexError)?.[0] ?? 'failed'})`;
  if (info.chunksWithoutVectors) return `${info.name}'s index is incomplete (${info.chunksWithoutVectors} chunks without a vector)`;
  if (!results.some((r) => r[side].denseTopK !== null)) return `${info.name}'s embedder failed on every question`;
  if (!results.some((r) => r[side].denseTopK && r[side].denseTopK.length > 0)) return `${info.name}'s dense search found no chunk for any question`;
  return undefined;
}

/** A reranker chain with a model step (every chain ends in `fused-order`). */
const hasReranker = (info: CompareSideInfo): boolean => info.models.reranker.some((step) => step !== TERMINAL_BACKENDS.reranker);

/** Why the reranker comparison has no number: a side without a reranker, no candidates to compare, or a side whose scores are all missing. */
function rerankerGap(sides: CompareReport['sides'], results: readonly CompareQuestionResult[]): string {
  for (const side of SIDES) if (!hasReranker(sides[side])) return `${sides[side].name} has no reranker`;
  if (!results.some((r) => (r.rerankCandidates?.length ?? 0) >= 2)) return 'no question had 2 or more candidates to rerank';
  for (const side of SIDES) {
    if (!results.some((r) => r[side].rerankScores !== null)) return `${sides[side].name} has no working reranker (its chain ended in fused-order for every question)`;
  }
  return 'no question was scored by both rerankers with untied scores';
}

/** Distinct (document, page) of the hits in rank order, and the rank of the first evidence page (-1: none). */
export function firstEvidenceRank(result: CompareSideResult, evidence: readonly CompareEvidence[]): number {
  const seen = new Set<string>();
  let rank = 0;
  for (const hit of result.topK) {
    const key = pageKey(hit.doc, hit.page);
    if (seen.has(key)) continue;
    seen.add(key);
    if (evidence.some((e) => e.doc === hit.doc && e.pages.includes(hit.page))) return rank;
    rank++;
  }
  return -1;
}

function qualityGroup(results: readonly CompareQuestionResult[], side: Side): CompareQualityGroup {
  const ranks: number[] = [];
  let questions = 0;
  let correct = 0;
  for (const r of results) {
    if (!r.evidence) continue;
    questions++;
    const outOfScope = r.evidence.length === 0;
    if (r[side].refused === outOfScope) correct++;
    if (!outOfScope) ranks.push(firstEvidenceRank(r[side], r.evidence));
  }
  const n = ranks.length;
  const within = (limit: number): number | null => (n === 0 ? null : ranks.filter((rank) => rank >= 0 && rank < limit).length / n);
  return {
    inScope: n,
    hitAt1: within(1),
    hitAt5: within(5),
    hitAt10: within(10),
    mrrAt10: n === 0 ? null : ranks.reduce((sum, rank) => sum + (rank >= 0 && rank < 10 ? 1 / (rank + 1) : 0), 0) / n,
    refusal: { questions, correct, accuracy: questions === 0 ? null : correct / questions },
  };
}

function sideQuality(results: readonly CompareQuestionResult[], side: Side): CompareSideQuality {
  const categories: Record<string, CompareQualityGroup> = {};
  for (const category of [...new Set(results.filter((r) => r.evidence).map((r) => r.category))].sort()) {
    categories[category] = qualityGroup(
      results.filter((r) => r.category === category),
      side,
    );
  }
  return { ...qualityGroup(results, side), categories };
}

function performance(results: readonly CompareQuestionResult[], side: Side, peakRssBytes: number): CompareSidePerformance {
  const usage = results.flatMap((r) => r[side].usage);
  const operations = {} as CompareSidePerformance['operations'];
  for (const operation of OPERATIONS) {
    const latencies = usage.filter((u) => u.operation === operation).map((u) => u.latencyMs);
    operations[operation] =
      latencies.length === 0 ? null : { count: latencies.length, p50Ms: nearestRank(latencies, 50) as number, p95Ms: nearestRank(latencies, 95) as number };
  }
  const endToEnd = results.map((r) => r[side].endToEndMs);
  const calls = results.map((r) => r[side].usage.filter((u) => !u.cacheHit && !LAST_STEPS.has(u.backend)).length);
  const costUsd = usage.reduce((sum, u) => sum + (u.costUsd ?? 0), 0);
  const probe = results.flatMap((r) => r[side].probeUsage);
  const probeCalls = probe.filter((u) => !u.cacheHit && !LAST_STEPS.has(u.backend)).length;
  return {
    operations,
    endToEnd: { p50Ms: nearestRank(endToEnd, 50) ?? 0, p95Ms: nearestRank(endToEnd, 95) ?? 0 },
    modelCallsPerAnswer: mean(calls) ?? 0,
    costUsd,
    costPer1000QuestionsUsd: results.length === 0 ? 0 : (costUsd / results.length) * 1000,
    unpricedCalls: usage.filter((u) => u.costUsd === null).length,
    peakRssMb: peakRssBytes / MIB,
    probe: { calls: probeCalls, costUsd: probe.reduce((sum, u) => sum + (u.costUsd ?? 0), 0), unpricedCalls: probe.filter((u) => u.costUsd === null).length },
  };
}

/** Computes every number of the report from the raw per-question data. */
export function buildCompareReport(raw: RawComparison): CompareReport {
  const { results, k, sides } = raw;
  const notes = [...raw.notes];

  const retrievalRows = results.map((r) => {
    const a = r.a.topK.map((h) => h.chunkId);
    const b = r.b.topK.map((h) => h.chunkId);
    const { tau, shared } = rankingTau(a, b);
    const denseA = r.a.denseTopK;
    const denseB = r.b.denseTopK;
    let recall: number | null = null;
    if (denseA && denseB && denseA.length > 0) {
      const inB = new Set(denseB);
      recall = new Set(denseA.filter((id) => inB.has(id))).size / new Set(denseA).size;
    }
    return { id: r.id, jaccardAtK: jaccard(a, b), kendallTau: tau, shared, embedderRecallAtK: recall };
  });
  const definedTaus = retrievalRows.flatMap((row) => (row.kendallTau === null ? [] : [row.kendallTau]));
  const recalls = retrievalRows.flatMap((row) => (row.embedderRecallAtK === null ? [] : [row.embedderRecallAtK]));
  const recall = mean(recalls);
  const embedderUnmeasured =
    embedderGap(sides.a, results, 'a') ?? embedderGap(sides.b, results, 'b') ?? 'no question was embedded by both sides';
  if (recall === null) notes.push(`Embedder recall@${k} not measured: ${embedderUnmeasured}.`);

  const rerankRows = results.map((r) => {
    const n = r.rerankCandidates?.length ?? 0;
    const x = r.a.rerankScores;
    const y = r.b.rerankScores;
    // Both score vectors are in candidate order, so position i is the same chunk on both sides.
    if (!x || !y || x.length !== n || y.length !== n) return { id: r.id, kendallTau: null, shared: 0 };
    return { id: r.id, kendallTau: kendallTauB(x, y), shared: n };
  });
  const rerankTaus = rerankRows.flatMap((row) => (row.kendallTau === null ? [] : [row.kendallTau]));
  const rerankTau = mean(rerankTaus);
  const rerankerUnmeasured = rerankerGap(sides, results);
  if (rerankTau === null) notes.push(`Reranker order not compared: ${rerankerUnmeasured}.`);

  const answerRows = results.map((r) => {
    const a = r.a.citations.map((c) => pageKey(c.doc, c.page));
    const b = r.b.citations.map((c) => pageKey(c.doc, c.page));
    return { id: r.id, sameCitations: sameSet(a, b), citationJaccard: jaccard(a, b) };
  });
  const n = results.length;
  const bothRefused = results.filter((r) => r.a.refused && r.b.refused).length;
  const bothAnswered = results.filter((r) => !r.a.refused && !r.b.refused).length;
  const sameCitations = n === 0 ? 0 : answerRows.filter((row) => row.sameCitations).length / n;
  const refusalAgreement = n === 0 ? 0 : (bothRefused + bothAnswered) / n;

  const judged = results.some((r) => r.evidence);
  const quality = judged
    ? (() => {
        const a = sideQuality(results, 'a');
        const b = sideQuality(results, 'b');
        const diff = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : y - x);
        return { a, b, delta: { hitAt5: diff(a.hitAt5, b.hitAt5), mrrAt10: diff(a.mrrAt10, b.mrrAt10) } };
      })()
    : null;
  const qa = quality?.a;
  const qb = quality?.b;

  const jaccardAtK = mean(retrievalRows.map((row) => row.jaccardAtK)) ?? 0;
  return {
    schemaVersion: 1,
    generatedAt: raw.generatedAt,
    sides,
    k,
    questions: n,
    corpus: raw.corpus,
    thresholds: { ...COMPARE_THRESHOLDS },
    retrieval: {
      jaccardAtK,
      kendallTau: mean(definedTaus),
      embedderRecallAtK: recall,
      perQuestion: retrievalRows,
    },
    reranker: { method: 'same-candidates', pool: raw.rerankPool, kendallTau: rerankTau, perQuestion: rerankRows },
    answers: {
      sameCitations,
      citationJaccard: mean(answerRows.map((row) => row.citationJaccard)) ?? 0,
      bothRefused,
      bothAnswered,
      disagreeRefusal: n - bothRefused - bothAnswered,
      refusalAgreement,
      perQuestion: answerRows,
    },
    quality,
    latency: Object.fromEntries(SIDES.map((side) => [side, performance(results, side, raw.peakRssBytes[side])])) as CompareReport['latency'],
    verdicts: {
      embedder: embedderVerdict(recall, k, embedderUnmeasured),
      reranker: rerankerVerdict(rerankTau, rerankerUnmeasured),
      answers: answersVerdict(sameCitations, refusalAgreement),
      retrieval: retrievalVerdict(jaccardAtK, k),
      quality:
        qa && qb && qa.hitAt5 !== null && qa.mrrAt10 !== null && qb.hitAt5 !== null && qb.mrrAt10 !== null
          ? qualityVerdict({ hitAt5: qa.hitAt5, mrrAt10: qa.mrrAt10 }, { hitAt5: qb.hitAt5, mrrAt10: qb.mrrAt10 })
          : { ok: null, text: 'not measured — no question has evidence pages' },
    },
    notes,
    results,
  };
}
