import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { openSqliteLedger } from '@ragbridge/cost-monitor';
import { openSqliteStore } from '@ragbridge/pipeline';
import type { FakeServer } from '@ragbridge/testkit';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hfSpacesSide, localOnlyFetch, offlineSide, QUESTIONS, startHf, writeCompareCorpus } from './__fixtures__/compare-fixtures.js';
import { refFirstRank, refHits, refJaccard, refMean, refPercentile, refRankTau, signed, two } from './__fixtures__/reference-metrics.js';
import { parseXml } from './__fixtures__/xml-check.js';
import { compareProfiles, renderCharts, renderMarkdown, type CompareProgress, type CompareReport, type CompareSideResult } from './index.js';

const LAST_STEPS = ['keyword', 'fused-order', 'extractive'];

describe('compareProfiles: offline (A) against hf-spaces on the fake Hugging Face services (B)', () => {
  let corpus: Awaited<ReturnType<typeof writeCompareCorpus>>;
  let hf: FakeServer;
  let report: CompareReport;
  let bLedgerPath: string;
  const progress: CompareProgress[] = [];
  const globalFetch = localOnlyFetch();

  beforeAll(async () => {
    corpus = await writeCompareCorpus();
    hf = await startHf();
    vi.stubGlobal('fetch', globalFetch);
    const b = hfSpacesSide(corpus.dir, hf);
    bLedgerPath = b.runtime.ledgerPath as string;
    report = await compareProfiles({
      a: offlineSide(corpus.dir),
      b,
      questions: QUESTIONS,
      corpus: [corpus.docs],
      storePath: corpus.storePath,
      k: 10,
      ingestWorkers: 0,
      onProgress: (p) => progress.push(p),
    });
  }, 60_000);
  afterAll(async () => {
    vi.unstubAllGlobals();
    await hf?.close();
    await corpus?.cleanup();
  });

  const side = (s: 'a' | 'b'): CompareSideResult[] => report.results.map((r) => r[s]);

  it('describes both sides, the corpus and the raw data of every question, from real calls', async () => {
    expect(report.schemaVersion).toBe(1);
    expect(Number.isNaN(Date.parse(report.generatedAt))).toBe(false);
    expect(report.k).toBe(10);
    expect(report.questions).toBe(QUESTIONS.length);
    expect(report.sides.a).toMatchObject({ name: 'offline', profile: 'offline', indexedChunks: 0, chunksWithoutVectors: report.corpus.chunks });
    expect(report.sides.a.indexError).toMatch(/^ModelNotFoundError/);
    expect(report.sides.a.embedderIdentity).toMatchObject({ provider: 'transformersjs', modelId: 'Xenova/all-MiniLM-L6-v2' });
    expect(report.sides.b).toMatchObject({ name: 'hf-spaces', profile: 'hf-spaces', chunksWithoutVectors: 0, indexedChunks: report.corpus.chunks });
    expect(report.sides.b.embedderIdentity).toMatchObject({ provider: 'hf-inference', modelId: 'BAAI/bge-small-en-v1.5' });
    expect(report.sides.b.models.answer).toEqual(['hf-inference-providers openai/gpt-oss-20b', 'extractive']);
    expect(report.sides.a.failedSteps).toContainEqual(expect.objectContaining({ operation: 'embed', error: 'ModelNotFoundError' }));
    expect(report.sides.b.failedSteps).toEqual([]);
    // Both runtimes were closed: the last SQLite connection to close removes the store's write-ahead log.
    expect(existsSync(`${corpus.storePath}-wal`)).toBe(false);
    expect(report.results.map((r) => r.id)).toEqual(QUESTIONS.map((q) => q.id));

    // The store both sides used: both documents, every chunk with a vector of B's identity.
    const store = openSqliteStore({ path: corpus.storePath });
    try {
      const stats = await store.stats();
      expect(report.corpus).toEqual({ paths: [corpus.docs], documents: 2, chunks: stats.chunks });
      expect(Object.values(stats.vectors)).toEqual([stats.chunks]);
    } finally {
      await store.close();
    }

    // A: keyword retrieval, fused order, extractive answers; B: the hosted steps.
    // (No rerank without hits; no chat model call for a refusal.)
    for (const r of report.results) {
      const a = r.a;
      expect(a.topK.every((h) => h.reason === 'keyword')).toBe(true);
      expect(a.usage.map((u) => `${u.operation}:${u.backend}`)).toEqual(['embed:keyword', ...(a.topK.length ? ['rerank:fused-order'] : []), 'chat:extractive']);
      expect(a.mode).toBe('extractive');
      // No recall without A's vectors; A's reranker chain ends in fused-order, so B is not asked to score.
      expect(a.denseTopK).toBeNull();
      expect(a.rerankScores).toBeNull();
      expect(r.b.rerankScores).toBeNull();
      // The candidates: A's retrieval of the pool (every chunk of this small store matching a word), in fused order.
      const candidates = r.rerankCandidates ?? [];
      expect(candidates.slice(0, a.topK.length)).toEqual(a.topK.map((h) => h.chunkId));
      // A's measurement calls: the candidates' retrieval (keyword, fused order) and the rerank call, which fell to fused-order.
      const scored = candidates.length >= 2 ? ['rerank:fused-order'] : [];
      expect(a.probeUsage.map((u) => `${u.operation}:${u.backend}`)).toEqual(['embed:keyword', ...(candidates.length ? ['rerank:fused-order'] : []), ...scored]);
    }
    for (const r of side('b')) {
      const hosted = 'hf-inference-providers';
      expect(r.usage.map((u) => `${u.operation}:${u.backend}`)).toEqual([`embed:${hosted}`, `rerank:${hosted}`, ...(r.refused ? [] : [`chat:${hosted}`])]);
      expect(r.denseTopK).toHaveLength(10);
      // B's measurement: the question embedded again, served by the embedding cache the answer filled.
      expect(r.probeUsage).toEqual([expect.objectContaining({ operation: 'embed', backend: hosted, cacheHit: true })]);
      if (!r.refused) expect(r.mode).toBe('generative');
    }
    // Every B answer came from the fake router: one chat request per answered question; one rerank
    // and one query embedding per question (the measurement called no model), one embedding request per indexing batch.
    expect(hf.requestsTo('router.chat')).toHaveLength(side('b').filter((r) => !r.refused).length);
    expect(hf.requestsTo('hf-inference.classification')).toHaveLength(QUESTIONS.length);
    expect(hf.requestsTo('hf-inference.pipeline').filter((q) => (q.json as { inputs: string[] }).inputs.length === 1)).toHaveLength(QUESTIONS.length);
    // The store is small: 11 chunks, so a top 10 and a pool of 30 hold (nearly) all of them.
    expect(report.corpus.chunks).toBe(11);
    expect(globalFetch.refused).toEqual([]);

    const phases = new Map(progress.map((p) => [p.phase, p]));
    expect(phases.get('ingest')).toEqual({ phase: 'ingest', done: 2, total: 2 });
    expect(phases.get('index:b')).toEqual({ phase: 'index:b', done: report.corpus.chunks, total: report.corpus.chunks });
    expect(phases.get('questions:a')).toEqual({ phase: 'questions:a', done: QUESTIONS.length, total: QUESTIONS.length });
    expect(phases.get('questions:b')).toEqual({ phase: 'questions:b', done: QUESTIONS.length, total: QUESTIONS.length });
  });

  it('retrieval agreement: Jaccard@k and Kendall tau per question and mean; no embedder recall, offline has no embedder', () => {
    report.results.forEach((r, i) => {
      const a = r.a.topK.map((h) => h.chunkId);
      const b = r.b.topK.map((h) => h.chunkId);
      const row = report.retrieval.perQuestion[i];
      expect(row?.id).toBe(r.id);
      expect(row?.jaccardAtK).toBeCloseTo(refJaccard(a, b), 12);
      const tau = refRankTau(a, b);
      if (tau === null) expect(row?.kendallTau).toBeNull();
      else expect(row?.kendallTau).toBeCloseTo(tau, 12);
      expect(row?.shared).toBe(a.filter((id) => b.includes(id)).length);
      expect(row?.embedderRecallAtK).toBeNull();
    });
    expect(report.retrieval.jaccardAtK).toBeCloseTo(refMean(report.results.map((r) => refJaccard(r.a.topK.map((h) => h.chunkId), r.b.topK.map((h) => h.chunkId)))), 12);
    const taus = report.results.map((r) => refRankTau(r.a.topK.map((h) => h.chunkId), r.b.topK.map((h) => h.chunkId))).filter((t): t is number => t !== null);
    expect(taus.length).toBeGreaterThan(0);
    expect(report.retrieval.kendallTau).toBeCloseTo(refMean(taus), 12);
    expect(report.retrieval.embedderRecallAtK).toBeNull();
    expect(report.notes).toContain("Embedder recall@10 not measured: offline's embedder could not index the store (ModelNotFoundError).");
  });

  it('reranker: not compared, offline has no working reranker', () => {
    expect(report.reranker).toMatchObject({ method: 'same-candidates', pool: 30, kendallTau: null });
    expect(report.reranker.perQuestion.map((q) => q.id)).toEqual(QUESTIONS.map((q) => q.id));
    expect(report.reranker.perQuestion.every((q) => q.kendallTau === null && q.shared === 0)).toBe(true);
    const asked = report.results.filter((r) => (r.rerankCandidates?.length ?? 0) >= 2).length;
    expect(asked).toBeGreaterThan(0);
    expect(report.notes).toContain(`offline: the reranker chain ended in fused-order (no reranker model answered) for ${asked} of ${QUESTIONS.length} questions; their reranker agreement is not measured.`);
    expect(report.notes).toContain('Reranker order not compared: offline has no working reranker (its chain ended in fused-order for every question).');
    expect(report.verdicts.reranker).toEqual({ ok: null, text: 'not measured — offline has no working reranker (its chain ended in fused-order for every question)' });
  });

  it('answers: same citations, citation Jaccard and refusal agreement', () => {
    const key = (c: { doc: string; page: number }): string => `${c.doc}#${c.page}`;
    const same = report.results.map((r) => {
      const a = new Set(r.a.citations.map(key));
      const b = new Set(r.b.citations.map(key));
      return a.size === b.size && [...a].every((c) => b.has(c));
    });
    const jaccards = report.results.map((r) => refJaccard(r.a.citations.map(key), r.b.citations.map(key)));
    expect(report.answers.perQuestion.map((q) => q.sameCitations)).toEqual(same);
    report.answers.perQuestion.forEach((q, i) => expect(q.citationJaccard).toBeCloseTo(jaccards[i] as number, 12));
    expect(report.answers.sameCitations).toBeCloseTo(same.filter(Boolean).length / QUESTIONS.length, 12);
    expect(report.answers.citationJaccard).toBeCloseTo(refMean(jaccards), 12);
    const bothRefused = report.results.filter((r) => r.a.refused && r.b.refused).length;
    const bothAnswered = report.results.filter((r) => !r.a.refused && !r.b.refused).length;
    expect(report.answers).toMatchObject({ bothRefused, bothAnswered, disagreeRefusal: QUESTIONS.length - bothRefused - bothAnswered });
    expect(report.answers.refusalAgreement).toBeCloseTo((bothRefused + bothAnswered) / QUESTIONS.length, 12);
    // The out-of-scope question is refused by both; the in-scope ones answered with citations.
    expect(report.results.find((r) => r.id === 'q-nitrogen')).toMatchObject({ a: { refused: true }, b: { refused: true } });
    expect(bothAnswered).toBeGreaterThan(0);
  });

  it('quality per side and per category: hit@1/5/10, MRR@10 over in-scope questions, refusal accuracy', () => {
    const quality = report.quality;
    expect(quality).not.toBeNull();
    for (const s of ['a', 'b'] as const) {
      const inScope = report.results.filter((r) => (r.evidence?.length ?? 0) > 0);
      const ranks = inScope.map((r) => refFirstRank(r[s].topK, r.evidence ?? []));
      const expected = refHits(ranks);
      const q = quality?.[s];
      expect(q?.inScope).toBe(6);
      expect(q?.hitAt1).toBeCloseTo(expected.hitAt1, 12);
      expect(q?.hitAt5).toBeCloseTo(expected.hitAt5, 12);
      expect(q?.hitAt10).toBeCloseTo(expected.hitAt10, 12);
      expect(q?.mrrAt10).toBeCloseTo(expected.mrrAt10, 12);
      const judged = report.results.filter((r) => r.evidence);
      const correct = judged.filter((r) => r[s].refused === (r.evidence?.length === 0)).length;
      expect(q?.refusal).toEqual({ questions: 7, correct, accuracy: correct / 7 });

      const categories = [...new Set(QUESTIONS.map((x) => x.category as string))].sort();
      expect(Object.keys(q?.categories ?? {})).toEqual(categories);
      for (const category of categories) {
        const members = report.results.filter((r) => r.category === category);
        const inCat = members.filter((r) => (r.evidence?.length ?? 0) > 0);
        const c = q?.categories[category];
        expect(c?.inScope).toBe(inCat.length);
        if (inCat.length === 0) expect(c?.hitAt5).toBeNull();
        else {
          const m = refHits(inCat.map((r) => refFirstRank(r[s].topK, r.evidence ?? [])));
          expect(c?.hitAt1).toBeCloseTo(m.hitAt1, 12);
          expect(c?.hitAt5).toBeCloseTo(m.hitAt5, 12);
          expect(c?.hitAt10).toBeCloseTo(m.hitAt10, 12);
          expect(c?.mrrAt10).toBeCloseTo(m.mrrAt10, 12);
        }
        const ok = members.filter((r) => r[s].refused === (r.evidence?.length === 0)).length;
        expect(c?.refusal).toEqual({ questions: members.length, correct: ok, accuracy: ok / members.length });
      }
    }
    expect(quality?.delta.hitAt5).toBeCloseTo((quality?.b.hitAt5 ?? NaN) - (quality?.a.hitAt5 ?? NaN), 12);
    expect(quality?.delta.mrrAt10).toBeCloseTo((quality?.b.mrrAt10 ?? NaN) - (quality?.a.mrrAt10 ?? NaN), 12);
  });

  it('latency, model calls, cost per 1,000 questions (against B’s ledger) and peak RSS', async () => {
    for (const s of ['a', 'b'] as const) {
      const l = report.latency[s];
      const usage = side(s).flatMap((r) => r.usage);
      for (const op of ['embed', 'rerank', 'chat'] as const) {
        const latencies = usage.filter((u) => u.operation === op).map((u) => u.latencyMs);
        expect(l.operations[op]).toEqual({ count: latencies.length, p50Ms: refPercentile(latencies, 50), p95Ms: refPercentile(latencies, 95) });
      }
      const e2e = side(s).map((r) => r.endToEndMs);
      expect(l.endToEnd).toEqual({ p50Ms: refPercentile(e2e, 50), p95Ms: refPercentile(e2e, 95) });
      const calls = side(s).map((r) => r.usage.filter((u) => !u.cacheHit && !LAST_STEPS.includes(u.backend)).length);
      expect(l.modelCallsPerAnswer).toBeCloseTo(refMean(calls), 12);
      const cost = usage.reduce((sum, u) => sum + (u.costUsd === null ? 0 : u.costUsd), 0);
      expect(l.costUsd).toBeCloseTo(cost, 15);
      expect(l.costPer1000QuestionsUsd).toBeCloseTo((cost * 1000) / QUESTIONS.length, 12);
      expect(l.unpricedCalls).toBe(usage.filter((u) => u.costUsd === null).length);
      const probe = side(s).flatMap((r) => r.probeUsage);
      expect(l.probe).toEqual({
        calls: probe.filter((u) => !u.cacheHit && !LAST_STEPS.includes(u.backend)).length,
        costUsd: probe.reduce((sum, u) => sum + (u.costUsd ?? 0), 0),
        unpricedCalls: probe.filter((u) => u.costUsd === null).length,
      });
      expect(l.peakRssMb).toBeGreaterThan(10);
      expect(Number.isFinite(l.peakRssMb)).toBe(true);
    }
    expect(report.latency.a.modelCallsPerAnswer).toBe(0);
    expect(report.latency.a.costPer1000QuestionsUsd).toBe(0);
    // B: an embedding, a rerank and (unless refused) a chat call per question; the embedding and
    // reranking on hf-inference have no per-token price, the chat model does.
    const answeredB = side('b').filter((r) => !r.refused).length;
    expect(report.latency.b.modelCallsPerAnswer).toBeCloseTo((2 * QUESTIONS.length + answeredB) / QUESTIONS.length, 12);
    expect(report.latency.b.unpricedCalls).toBe(2 * QUESTIONS.length);
    // The measurement made no model call on either side (A's fell to its last steps, B's embedding came from the cache).
    expect(report.latency.a.probe).toEqual({ calls: 0, costUsd: 0, unpricedCalls: 0 });
    expect(report.latency.b.probe).toEqual({ calls: 0, costUsd: 0, unpricedCalls: 0 });

    // B's ledger: every priced row is a chat call of an answer; its cost is what the report counts.
    const ledger = openSqliteLedger({ path: bLedgerPath });
    try {
      const rows = ledger.query();
      const priced = rows.filter((row) => row.costUsd !== null && row.costUsd > 0);
      expect(priced.map((row) => row.operation)).toEqual(side('b').filter((r) => !r.refused).map(() => 'chat'));
      const ledgerCost = rows.reduce((sum, row) => sum + (row.costUsd ?? 0), 0);
      expect(ledgerCost).toBeGreaterThan(0);
      expect(report.latency.b.costUsd + report.latency.b.probe.costUsd).toBeCloseTo(ledgerCost, 15);
      expect(report.latency.b.costPer1000QuestionsUsd).toBeCloseTo((ledgerCost / QUESTIONS.length) * 1000, 12);
    } finally {
      ledger.close();
    }
  });

  it('verdicts: the thresholds and the values in one line each', () => {
    expect(report.thresholds).toEqual({ embedderRecallAtK: 0.9, rerankerTau: 0.7, sameCitations: 0.8, refusalAgreement: 0.9, jaccardAtK: 0.7 });
    const j = report.retrieval.jaccardAtK;
    expect(report.verdicts.retrieval).toEqual({
      ok: j >= 0.7,
      text: `${j >= 0.7 ? 'same results' : 'results differ'} — Jaccard@10 ${two(j)} (threshold 0.70)`,
    });
    const same = report.answers.sameCitations;
    const agree = report.answers.refusalAgreement;
    const answersOk = same >= 0.8 && agree >= 0.9;
    expect(report.verdicts.answers).toEqual({
      ok: answersOk,
      text: `${answersOk ? 'same answers' : 'answers differ'} — same citations ${two(same)} (threshold 0.80), refusal agreement ${two(agree)} (threshold 0.90)`,
    });
    expect(report.verdicts.embedder).toEqual({ ok: null, text: "not measured — offline's embedder could not index the store (ModelNotFoundError)" });
    const qa = report.quality?.a;
    const qb = report.quality?.b;
    const dh = (qb?.hitAt5 ?? 0) - (qa?.hitAt5 ?? 0);
    const dm = (qb?.mrrAt10 ?? 0) - (qa?.mrrAt10 ?? 0);
    const word = dh === 0 && dm === 0 ? 'no change' : dh >= 0 && dm >= 0 ? 'B retrieves better' : dh <= 0 && dm <= 0 ? 'B retrieves worse' : 'mixed';
    expect(report.verdicts.quality).toEqual({
      ok: dh >= 0 && dm >= 0,
      text: `${word} — hit@5 ${signed(dh)} (${two(qa?.hitAt5 ?? 0)} → ${two(qb?.hitAt5 ?? 0)}), MRR@10 ${signed(dm)} (${two(qa?.mrrAt10 ?? 0)} → ${two(qb?.mrrAt10 ?? 0)})`,
    });
  });

  it('renders well-formed charts and a Markdown report that references them', () => {
    const charts = renderCharts(report);
    expect(Object.keys(charts).sort()).toEqual(['agreement.svg', 'cost.svg', 'latency.svg', 'quality.svg']);
    for (const svg of Object.values(charts)) expect(parseXml(svg).name).toBe('svg');
    const markdown = renderMarkdown(report, charts);
    for (const name of Object.keys(charts)) expect(markdown).toContain(`](${name})`);
    expect(markdown).toContain(report.verdicts.answers.text);
    expect(markdown).toContain('## How to reproduce');
    expect(markdown).toContain('| q-nitrogen |');
    // The report survives a JSON round trip unchanged (it is written as report.json).
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('compareProfiles when something fails midway', () => {
  it('closes both runtimes and rethrows', async () => {
    const corpus = await writeCompareCorpus();
    try {
      const offline = offlineSide(corpus.dir);
      const stricter = { name: 'stricter', runtime: { ...offline.runtime, config: { ...getBuiltInProfile('offline'), retrieval: { ...getBuiltInProfile('offline').retrieval, refusal: { minCoverage: 0.9 } } }, ledgerPath: ':memory:' } };
      const failing = compareProfiles({
        a: offline,
        b: stricter,
        questions: QUESTIONS,
        corpus: [corpus.docs],
        storePath: corpus.storePath,
        ingestWorkers: 0,
        onProgress: (p) => {
          if (p.phase === 'questions:b') throw new Error('stop here');
        },
      });
      await expect(failing).rejects.toThrow('stop here');
      expect(existsSync(corpus.storePath)).toBe(true);
      expect(existsSync(`${corpus.storePath}-wal`)).toBe(false);
    } finally {
      await corpus.cleanup();
    }
  });
});
