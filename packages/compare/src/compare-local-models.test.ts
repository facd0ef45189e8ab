import { hashEmbedding, wordOverlapScore } from '@ragbridge/core-interfaces/testing';
import { openSqliteLedger } from '@ragbridge/cost-monitor';
import { openSqliteStore } from '@ragbridge/pipeline';
import { createRuntime } from '@ragbridge/runtime';
import type { FakeServer } from '@ragbridge/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hfSpacesSide, localModelsSide, localOnlyFetch, QUESTIONS, startHf, TINY_CROSS_ENCODER, TINY_EMBEDDER, writeCompareCorpus } from './__fixtures__/compare-fixtures.js';
import { refMean, refTauB, two } from './__fixtures__/reference-metrics.js';
import { compareProfiles, type CompareReport, type CompareSide } from './index.js';

const BGE_QUERY_PREFIX = 'Represent this sentence for searching relevant passages: ';
const LAST_STEPS = ['keyword', 'fused-order', 'extractive'];

/** The fake Hugging Face cross-encoder's score of a (query, passage) pair (testkit's hf-fake). */
const fakeCrossEncoder = (query: string, passage: string): number => 1 / (1 + Math.exp(-(wordOverlapScore(query, passage) * 8 - 4)));

describe('compareProfiles: local Transformers.js test models (A) against hf-spaces on the fakes (B)', () => {
  let corpus: Awaited<ReturnType<typeof writeCompareCorpus>>;
  let hf: FakeServer;
  let a: CompareSide;
  let b: CompareSide;
  let report: CompareReport;
  /** Model text of each chunk, as the pipeline gives it to models: the innermost heading, then the text. */
  const texts = new Map<string, string>();

  beforeAll(async () => {
    corpus = await writeCompareCorpus();
    hf = await startHf();
    vi.stubGlobal('fetch', localOnlyFetch());
    a = await localModelsSide(corpus.dir);
    b = hfSpacesSide(corpus.dir, hf);
    report = await compareProfiles({ a, b, questions: QUESTIONS, corpus: [corpus.docs], storePath: corpus.storePath, k: 3, ingestWorkers: 0 });
    const store = openSqliteStore({ path: corpus.storePath });
    try {
      for (const doc of await store.listDocuments()) {
        for (const c of await store.getDocumentChunks(doc.id)) texts.set(c.id, [...c.sectionPath.slice(-1), c.text].join('\n'));
      }
    } finally {
      await store.close();
    }
  }, 120_000);
  afterAll(async () => {
    vi.unstubAllGlobals();
    await hf?.close();
    await corpus?.cleanup();
  });

  it('indexes both embedders’ vectors and measures each part through the runtime’s models', () => {
    expect(report.sides.a.embedderIdentity).toMatchObject({ provider: 'transformersjs', modelId: TINY_EMBEDDER });
    expect(report.sides.a).toMatchObject({ indexedChunks: report.corpus.chunks, chunksWithoutVectors: 0, failedSteps: [] });
    expect(report.sides.b).toMatchObject({ indexedChunks: report.corpus.chunks, chunksWithoutVectors: 0, failedSteps: [] });
    expect(report.sides.a.models.reranker).toEqual([`transformersjs ${TINY_CROSS_ENCODER}`, 'fused-order']);
    for (const r of report.results) {
      // A's measurement: the question again (from the cache), the candidates' retrieval (cache, then its reranker), the direct rerank call.
      expect(r.a.probeUsage.map((u) => `${u.operation}:${u.backend}${u.cacheHit ? ':cached' : ''}`)).toEqual([
        'embed:transformersjs:cached',
        'embed:transformersjs:cached',
        'rerank:transformersjs',
        'rerank:transformersjs',
      ]);
      expect(r.b.probeUsage.map((u) => `${u.operation}:${u.backend}${u.cacheHit ? ':cached' : ''}`)).toEqual([
        'embed:hf-inference-providers:cached',
        'rerank:hf-inference-providers',
      ]);
    }
  });

  it('embedder recall@k: each side’s dense top k recomputed, B’s from the fake’s embedding, A’s through a fresh runtime', async () => {
    const fresh = await createRuntime({ ...a.runtime, storePath: corpus.storePath, ledgerPath: ':memory:' });
    try {
      const embedder = fresh.models.embedder;
      if (!embedder) throw new Error('side A has an embedder');
      const identityB = report.sides.b.embedderIdentity as NonNullable<typeof report.sides.b.embedderIdentity>;
      for (const r of report.results) {
        const { embeddings } = await embedder.embed({ texts: [r.question], inputType: 'query' });
        const nearestA = await fresh.pipeline.store.vectorSearch.vectorCandidates({ identity: embedder.identity, vector: embeddings[0] as number[], limit: 3 });
        expect(r.a.denseTopK).toEqual(nearestA.map((h) => h.id));
        const nearestB = await fresh.pipeline.store.vectorSearch.vectorCandidates({ identity: identityB, vector: hashEmbedding(`${BGE_QUERY_PREFIX}${r.question}`, 384), limit: 3 });
        expect(r.b.denseTopK).toEqual(nearestB.map((h) => h.id));
      }
    } finally {
      await fresh.close();
    }
    const recalls = report.results.map((r) => {
      const denseA = r.a.denseTopK ?? [];
      return denseA.filter((id) => (r.b.denseTopK ?? []).includes(id)).length / denseA.length;
    });
    report.retrieval.perQuestion.forEach((q, i) => expect(q.embedderRecallAtK).toBeCloseTo(recalls[i] as number, 12));
    const recall = refMean(recalls);
    expect(report.retrieval.embedderRecallAtK).toBeCloseTo(recall, 12);
    expect(report.verdicts.embedder).toEqual({ ok: recall >= 0.9, text: `${recall >= 0.9 ? 'safe to switch' : 'results differ'} — recall@3 ${two(recall)} (threshold 0.90)` });
    // A random tiny model and hashed word features do not find the same neighbours.
    expect(recall).toBeLessThan(1);
  });

  it('reranker tau on the same candidates: A’s scores are its reranker’s (as in its answers), B’s the fake’s; tau-b recomputed', () => {
    for (const r of report.results) {
      const ids = r.rerankCandidates ?? [];
      expect(ids).toHaveLength(report.corpus.chunks);
      // A's answer reranked the same fused candidates with the same model: its top k carry the same scores.
      for (const hit of r.a.topK) {
        expect(hit.rerankScore).toBeDefined();
        expect(r.a.rerankScores?.[ids.indexOf(hit.chunkId)]).toBeCloseTo(hit.rerankScore as number, 5);
      }
      expect(r.a.rerankScores).toHaveLength(ids.length);
      expect(r.b.rerankScores).toHaveLength(ids.length);
      r.b.rerankScores?.forEach((score, i) => expect(score).toBeCloseTo(fakeCrossEncoder(r.question, texts.get(ids[i] as string) as string), 12));
    }
    const taus = report.results.map((r) => refTauB(r.a.rerankScores ?? [], r.b.rerankScores ?? []));
    report.reranker.perQuestion.forEach((q, i) => {
      expect(q.id).toBe(report.results[i]?.id);
      const tau = taus[i];
      if (tau === null || tau === undefined) expect(q.kendallTau).toBeNull();
      else expect(q.kendallTau).toBeCloseTo(tau, 12);
      expect(q.shared).toBe(report.corpus.chunks);
    });
    const defined = taus.filter((t): t is number => t !== null);
    expect(defined).toHaveLength(QUESTIONS.length);
    const tau = refMean(defined);
    expect(report.reranker).toMatchObject({ method: 'same-candidates', pool: 30 });
    expect(report.reranker.kendallTau).toBeCloseTo(tau, 12);
    expect(report.verdicts.reranker).toEqual(
      tau >= 0.7 ? { ok: true, text: `same order — tau ${two(tau)} (threshold 0.70)` } : { ok: false, text: `order differs, tau ${two(tau)} (threshold 0.70)` },
    );
    // Two different rerankers: they do not order every list alike.
    expect(defined.some((t) => t < 1)).toBe(true);
  });

  it('the measurement calls are in each side’s ledger but not in the answers’ calls, latency or cost', async () => {
    for (const [s, path] of [
      ['a', a.runtime.ledgerPath],
      ['b', b.runtime.ledgerPath],
    ] as const) {
      const sideResults = report.results.map((r) => r[s]);
      const answerReranks = sideResults.flatMap((r) => r.usage).filter((u) => u.operation === 'rerank').length;
      const probeReranks = sideResults.flatMap((r) => r.probeUsage).filter((u) => u.operation === 'rerank').length;
      expect(answerReranks).toBe(QUESTIONS.length);
      const ledger = openSqliteLedger({ path: path as string });
      try {
        // Every rerank call is a ledger row: the answers' and the measurement's.
        expect(ledger.query({ operation: 'rerank' })).toHaveLength(answerReranks + probeReranks);
      } finally {
        ledger.close();
      }
      const l = report.latency[s];
      const calls = sideResults.map((r) => r.usage.filter((u) => !u.cacheHit && !LAST_STEPS.includes(u.backend)).length);
      expect(l.modelCallsPerAnswer).toBeCloseTo(refMean(calls), 12);
      expect(l.operations.rerank?.count).toBe(QUESTIONS.length);
      const probe = sideResults.flatMap((r) => r.probeUsage);
      expect(l.probe).toEqual({
        calls: probe.filter((u) => !u.cacheHit && !LAST_STEPS.includes(u.backend)).length,
        costUsd: probe.reduce((sum, u) => sum + (u.costUsd ?? 0), 0),
        unpricedCalls: probe.filter((u) => u.costUsd === null).length,
      });
    }
    // A: the candidates' retrieval and the direct call rerank; B: the direct call.
    expect(report.latency.a.probe.calls).toBe(2 * QUESTIONS.length);
    expect(report.latency.b.probe).toMatchObject({ calls: QUESTIONS.length, unpricedCalls: QUESTIONS.length });
  });
});
