import type { CompareQuestionResult, CompareSideInfo, CompareSideResult, CompareUsage } from '../compare-types.js';
import type { RawComparison } from '../internal/report-builder.js';

const usage = (operation: CompareUsage['operation'], backend: string, latencyMs: number, costUsd: number | null, cacheHit = false): CompareUsage => ({
  operation,
  backend,
  modelId: backend === 'hf-inference-providers' ? 'some/model' : backend,
  latencyMs,
  costUsd,
  cacheHit,
  fallbackStep: 0,
});

const hits = (...ids: string[]): CompareSideResult['topK'] =>
  ids.map((id, i) => ({ chunkId: id, doc: id.startsWith('m') ? 'notes.md' : 'manual.pdf', page: Number(id.slice(1)), score: 1 - i / 10, reason: 'keyword' as const }));

function sideResult(overrides: Partial<CompareSideResult>): CompareSideResult {
  return {
    topK: [],
    citations: [],
    refused: false,
    mode: 'extractive',
    endToEndMs: 10,
    usage: [],
    denseTopK: null,
    rerankScores: null,
    probeUsage: [],
    ...overrides,
  };
}

function info(name: string, overrides: Partial<CompareSideInfo> = {}): CompareSideInfo {
  return {
    name,
    profile: 'offline',
    models: { answer: ['extractive'], embedder: ['keyword'], reranker: ['fused-order'] },
    embedderIdentity: null,
    indexedChunks: 0,
    chunksWithoutVectors: null,
    failedSteps: [],
    ...overrides,
  };
}

/**
 * Hand-made raw data of three questions with awkward names (XML and Markdown characters): side A
 * keyword-only without a reranker, side B hosted; a reversed ranking (tau −1), an out-of-scope
 * question and one without evidence.
 */
export function syntheticRaw(options: { evidence?: boolean } = {}): RawComparison {
  const evidence = options.evidence ?? true;
  const results: CompareQuestionResult[] = [
    {
      id: 'q1',
      question: 'Which page?',
      category: 'fact',
      ...(evidence && { evidence: [{ doc: 'manual.pdf', pages: [3] }] }),
      rerankCandidates: null,
      a: sideResult({
        topK: hits('p1', 'p2', 'p3'),
        citations: [{ doc: 'manual.pdf', page: 1 }],
        endToEndMs: 4,
        usage: [usage('embed', 'keyword', 0, 0), usage('rerank', 'fused-order', 0.1, 0), usage('chat', 'extractive', 2, 0)],
      }),
      b: sideResult({
        topK: hits('p3', 'p2', 'p1'),
        citations: [{ doc: 'manual.pdf', page: 3 }],
        mode: 'generative',
        endToEndMs: 400,
        usage: [usage('embed', 'hf-inference-providers', 30, null), usage('rerank', 'hf-inference-providers', 50, null), usage('chat', 'hf-inference-providers', 300, 0.002)],
        // The measurement's query embedding (a cache hit) and a rerank call: not in the answer's numbers.
        probeUsage: [usage('embed', 'hf-inference-providers', 1, 0, true), usage('rerank', 'hf-inference-providers', 45, null)],
      }),
    },
    {
      id: 'q2',
      question: 'Out of scope?',
      category: 'out | of scope',
      ...(evidence && { evidence: [] }),
      rerankCandidates: null,
      a: sideResult({ refused: true, endToEndMs: 2, usage: [usage('embed', 'keyword', 0, 0), usage('chat', 'extractive', 1, 0)] }),
      b: sideResult({
        topK: hits('p9'),
        refused: true,
        endToEndMs: 100,
        usage: [usage('embed', 'hf-inference-providers', 20, 0, true), usage('rerank', 'hf-inference-providers', 40, null)],
        probeUsage: [usage('embed', 'hf-inference-providers', 25, 0.0001)],
      }),
    },
    {
      id: 'q3',
      question: 'Not judged',
      category: 'fact',
      rerankCandidates: null,
      a: sideResult({ topK: hits('m1'), citations: [{ doc: 'notes.md', page: 1 }], endToEndMs: 6, usage: [usage('chat', 'extractive', 3, 0)] }),
      b: sideResult({
        topK: hits('m1', 'p1'),
        citations: [{ doc: 'notes.md', page: 1 }],
        endToEndMs: 250,
        usage: [usage('chat', 'hf-inference-providers', 200, 0.001)],
      }),
    },
  ];
  return {
    generatedAt: '2026-11-25T12:00:00.000Z',
    sides: {
      a: info('A & <Co>'),
      b: info('B "hosted" | v2', {
        profile: 'hf-spaces',
        models: { answer: ['hf-inference-providers some/model', 'extractive'], embedder: ['hf-inference-providers e/m', 'keyword'], reranker: ['hf-inference-providers r/m', 'fused-order'] },
        embedderIdentity: { provider: 'hf-inference', modelId: 'e/m', revision: 'unknown', pooling: 'mean', normalized: true },
        indexedChunks: 12,
        chunksWithoutVectors: 0,
      }),
    },
    k: 10,
    rerankPool: 20,
    corpus: { paths: ['docs'], documents: 2, chunks: 12 },
    results,
    peakRssBytes: { a: 200 * 1024 * 1024, b: 300 * 1024 * 1024 },
    notes: ['A note with a | pipe.'],
  };
}
