import { BadInputError } from '../errors.js';
import type { RerankerV1 } from '../reranker.js';
import {
  abortedSignal,
  asConformanceChecks,
  captureRejection,
  ensure,
  ensureAbortError,
  ensureModelShape,
  faultChecks,
  UNICODE_SAMPLE,
  type ConformanceCheck,
  type ConformanceOptions,
} from './conformance-core.js';
import { ALL_FAULT_KINDS } from './conformance-faults.js';
import { registerConformanceChecks } from './conformance-register.js';

/** Options of the reranker conformance suite. */
export type RerankerConformanceOptions = ConformanceOptions<RerankerV1>;

const QUERY = 'how many general-purpose registers does RV32I have';
const TEXTS = [
  'RV32I has 32 general-purpose registers x0-x31, and x0 is hardwired to zero.',
  'The FDA guidance describes software validation activities.',
  'Vector registers are grouped by LMUL.',
];

function ensureScores(scores: unknown, count: number, what: string): number[] {
  ensure(Array.isArray(scores), `${what}: scores should be an array`);
  ensure(scores.length === count, `${what}: expected ${count} scores, got ${scores.length}`);
  for (const [i, s] of (scores as unknown[]).entries()) {
    ensure(typeof s === 'number' && Number.isFinite(s) && s >= 0 && s <= 1, `${what}: score ${i} should be in [0, 1], got ${String(s)}`);
  }
  return scores as number[];
}

/** The checks of the Reranker contract, runnable without vitest. */
export function rerankerConformanceChecks(options: RerankerConformanceOptions): ConformanceCheck[] {
  const create = async (): Promise<RerankerV1> => options.create();
  const checks: ConformanceCheck[] = [
    {
      id: 'contract-shape',
      description: 'declares specificationVersion v1, backend, model id and a positive max batch size',
      async run() {
        const r = await create();
        ensureModelShape(r);
        ensure(Number.isInteger(r.maxBatchSize) && r.maxBatchSize > 0, 'maxBatchSize should be a positive integer');
      },
    },
    {
      id: 'scores-in-range',
      description: 'one score in [0, 1] per text',
      async run() {
        const r = await create();
        ensureScores((await r.rerank({ query: QUERY, texts: TEXTS })).scores, TEXTS.length, 'rerank');
      },
    },
    {
      id: 'input-order',
      description: 'scores follow input order (reversing the texts reverses the scores)',
      async run() {
        const r = await create();
        const forward = ensureScores((await r.rerank({ query: QUERY, texts: TEXTS })).scores, TEXTS.length, 'forward');
        const reversed = ensureScores((await r.rerank({ query: QUERY, texts: [...TEXTS].reverse() })).scores, TEXTS.length, 'reversed');
        for (let i = 0; i < TEXTS.length; i++) {
          const a = forward[i] ?? NaN;
          const b = reversed[TEXTS.length - 1 - i] ?? NaN;
          ensure(Math.abs(a - b) < 1e-4, `text ${i} scored ${a} forward but ${b} reversed: scores are not in input order`);
        }
      },
    },
    {
      id: 'large-batch',
      description: 'more texts than maxBatchSize are split and scored in order',
      async run() {
        const r = await create();
        const count = Math.min(2 * r.maxBatchSize + 1, 257);
        const texts = Array.from({ length: count }, (_, i) => `${TEXTS[i % TEXTS.length]} (${i})`);
        const { scores, usage } = await r.rerank({ query: QUERY, texts });
        ensureScores(scores, count, 'large batch');
        ensure(usage.items === count, `usage.items should be ${count}, got ${usage.items}`);
        for (const i of [0, Math.floor(count / 2), count - 1]) {
          const single = (await r.rerank({ query: QUERY, texts: [texts[i] as string] })).scores[0] ?? NaN;
          ensure(Math.abs((scores[i] ?? NaN) - single) < 1e-4, `score ${i} of a split batch differs from a single call`);
        }
      },
    },
    {
      id: 'empty-texts',
      description: 'no texts give no scores',
      async run() {
        const r = await create();
        const result = await r.rerank({ query: QUERY, texts: [] });
        ensure(Array.isArray(result.scores) && result.scores.length === 0, 'rerank with no texts should return []');
        ensure(result.usage?.items === 0, 'rerank with no texts should report 0 items');
      },
    },
    {
      id: 'empty-query-rejected',
      description: 'an empty query rejects with BadInputError',
      async run() {
        const r = await create();
        const error = await captureRejection(() => r.rerank({ query: '  ', texts: TEXTS }), 'rerank with an empty query');
        ensure(BadInputError.isInstance(error), `an empty query should reject with BadInputError, got ${String(error)}`);
      },
    },
    {
      id: 'long-input-truncated',
      description: 'a text longer than the input window is scored, not rejected',
      async run() {
        const r = await create();
        const long = 'RV32I registers are 32 bits wide. '.repeat(3000);
        ensureScores((await r.rerank({ query: QUERY, texts: [long] })).scores, 1, 'long input');
      },
    },
    {
      id: 'unicode-intact',
      description: 'unicode text reaches the backend intact',
      async run() {
        const r = await create();
        const { scores } = await r.rerank({ query: UNICODE_SAMPLE, texts: [UNICODE_SAMPLE, 'plain'] });
        ensureScores(scores, 2, 'unicode');
        if (options.receivedTexts) {
          const received = await options.receivedTexts();
          ensure(received.filter((t) => t.includes(UNICODE_SAMPLE)).length >= 2, 'the backend did not receive the unicode query and text intact');
        }
      },
    },
    {
      id: 'reports-usage',
      description: 'every call reports a usage event',
      async run() {
        const r = await create();
        const { usage } = await r.rerank({ query: QUERY, texts: TEXTS });
        ensure(usage !== undefined, 'usage is missing');
        ensure(usage.operation === 'rerank', `usage.operation should be "rerank", got ${String(usage.operation)}`);
        ensure(usage.backend === r.backend && usage.modelId === r.modelId, 'usage should name the backend and model');
        ensure(usage.items === TEXTS.length, `usage.items should be ${TEXTS.length}, got ${usage.items}`);
        ensure(usage.inputTokens > 0, 'usage.inputTokens should be > 0');
        ensure(usage.cacheHit === false && usage.fallbackStep === 0, 'a bare reranker reports cacheHit false and fallbackStep 0');
      },
    },
    {
      id: 'abort-before-call',
      description: 'an already-aborted signal rejects with AbortError',
      async run() {
        const r = await create();
        ensureAbortError(await captureRejection(() => r.rerank({ query: QUERY, texts: TEXTS, abortSignal: abortedSignal() }), 'rerank'), 'rerank');
      },
    },
  ];
  checks.push(
    ...faultChecks(options, ALL_FAULT_KINDS, 'rerank', (r, signal) =>
      r.rerank({ query: QUERY, texts: TEXTS, ...(signal && { abortSignal: signal }) }),
    ),
  );
  return asConformanceChecks(checks);
}

/** Registers the Reranker conformance suite with vitest. */
export function describeRerankerConformance(name: string, options: RerankerConformanceOptions): void {
  registerConformanceChecks(`Reranker conformance: ${name}`, rerankerConformanceChecks(options), options);
}
