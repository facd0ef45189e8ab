import type { EmbedderV1 } from '../embedder.js';
import { embedderIdentityKey } from '../embedder.js';
import { BadInputError } from '../errors.js';
import {
  abortedSignal,
  asConformanceChecks,
  captureRejection,
  cosine,
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

/** Options of the embedder conformance suite. */
export type EmbedderConformanceOptions = ConformanceOptions<EmbedderV1>;

const TEXTS = [
  'The base integer ISA has 32 registers.',
  'Machine-mode status register mstatus.MIE enables interrupts.',
  'Software validation is part of the quality system.',
  'Vector length multiplier LMUL groups registers.',
  'funct3 selects the operation within an opcode.',
];

const POOLINGS = new Set(['mean', 'cls', 'last-token', 'none', 'unknown']);

function ensureVectors(vectors: unknown, count: number, dimensions: number | undefined, what: string): number[][] {
  ensure(Array.isArray(vectors), `${what}: embeddings should be an array`);
  ensure(vectors.length === count, `${what}: expected ${count} vectors, got ${vectors.length}`);
  const width = (vectors[0] as unknown[] | undefined)?.length ?? 0;
  for (const [i, v] of (vectors as unknown[]).entries()) {
    ensure(Array.isArray(v) && v.length > 0, `${what}: vector ${i} should be a non-empty array`);
    ensure(v.length === width, `${what}: vector ${i} has ${v.length} dimensions, vector 0 has ${width}`);
    ensure(dimensions === undefined || v.length === dimensions, `${what}: vector ${i} has ${v.length} dimensions, the embedder declares ${dimensions}`);
    ensure(v.every((x) => typeof x === 'number' && Number.isFinite(x)), `${what}: vector ${i} holds a non-finite value`);
    ensure(v.some((x) => x !== 0), `${what}: vector ${i} is all zeros`);
  }
  return vectors as number[][];
}

/** The checks of the Embedder contract, runnable without vitest. */
export function embedderConformanceChecks(options: EmbedderConformanceOptions): ConformanceCheck[] {
  const create = async (): Promise<EmbedderV1> => options.create();
  const checks: ConformanceCheck[] = [
    {
      id: 'contract-shape',
      description: 'declares specificationVersion v1, backend, model id, identity and a positive max batch size',
      async run() {
        const e = await create();
        ensureModelShape(e);
        ensure(Number.isInteger(e.maxBatchSize) && e.maxBatchSize > 0, `maxBatchSize should be a positive integer, got ${e.maxBatchSize}`);
        const id = e.identity;
        ensure(typeof id === 'object' && id !== null, 'identity is missing');
        for (const field of ['provider', 'modelId', 'revision'] as const) {
          ensure(typeof id[field] === 'string' && id[field].length > 0, `identity.${field} should be a non-empty string`);
        }
        ensure(POOLINGS.has(id.pooling), `identity.pooling should be mean/cls/last-token/none/unknown, got ${String(id.pooling)}`);
        ensure(typeof id.normalized === 'boolean', 'identity.normalized should be a boolean');
      },
    },
    {
      id: 'embed-shape',
      description: 'one finite, non-zero vector per text, all of the declared length',
      async run() {
        const e = await create();
        const result = await e.embed({ texts: TEXTS.slice(0, 3) });
        ensureVectors(result.embeddings, 3, e.dimensions, 'embed');
      },
    },
    {
      id: 'identity-stable',
      description: 'the model identity does not change across calls',
      async run() {
        const e = await create();
        const before = embedderIdentityKey(e.identity);
        await e.embed({ texts: TEXTS.slice(0, 2) });
        ensure(embedderIdentityKey(e.identity) === before, 'the identity changed after a call; caches keyed by it would break');
      },
    },
    {
      id: 'embed-normalized',
      description: 'vectors have unit length when the identity says normalized',
      async run() {
        const e = await create();
        const { embeddings } = await e.embed({ texts: TEXTS });
        if (!e.identity.normalized) return;
        for (const [i, v] of embeddings.entries()) {
          const norm = Math.hypot(...v);
          ensure(Math.abs(norm - 1) < 1e-3, `vector ${i} has norm ${norm}, but identity.normalized is true`);
        }
      },
    },
    {
      id: 'batch-order',
      description: 'a batch returns the same vectors, in input order, as one-by-one calls',
      async run() {
        const e = await create();
        const { embeddings } = await e.embed({ texts: TEXTS });
        ensureVectors(embeddings, TEXTS.length, e.dimensions, 'batch');
        for (const [i, text] of TEXTS.entries()) {
          const single = (await e.embed({ texts: [text] })).embeddings[0] ?? [];
          const sim = cosine(embeddings[i] ?? [], single);
          ensure(sim > 0.999, `batch vector ${i} differs from the single call (cosine ${sim.toFixed(4)}): order not preserved`);
        }
      },
    },
    {
      id: 'large-batch',
      description: 'more texts than maxBatchSize are split and reassembled in order',
      async run() {
        const e = await create();
        const count = Math.min(2 * e.maxBatchSize + 1, 257);
        const texts = Array.from({ length: count }, (_, i) => `${TEXTS[i % TEXTS.length]} Item number ${i} of ${count}.`);
        const { embeddings, usage } = await e.embed({ texts });
        ensureVectors(embeddings, count, e.dimensions, 'large batch');
        ensure(usage.items === count, `usage.items should be ${count}, got ${usage.items}`);
        for (const i of [0, Math.floor(count / 2), count - 1]) {
          const single = (await e.embed({ texts: [texts[i] as string] })).embeddings[0] ?? [];
          const sim = cosine(embeddings[i] ?? [], single);
          ensure(sim > 0.999, `vector ${i} of a split batch is not the vector of text ${i} (cosine ${sim.toFixed(4)})`);
        }
      },
    },
    {
      id: 'empty-batch',
      description: 'an empty list returns no vectors',
      async run() {
        const e = await create();
        const result = await e.embed({ texts: [] });
        ensure(Array.isArray(result.embeddings) && result.embeddings.length === 0, 'embed([]) should return []');
        ensure(result.usage?.items === 0, 'embed([]) should report 0 items');
      },
    },
    {
      id: 'empty-string-rejected',
      description: 'an empty text rejects with BadInputError naming its index',
      async run() {
        const e = await create();
        const error = await captureRejection(() => e.embed({ texts: ['fine', ''] }), "embed(['fine', ''])");
        ensure(BadInputError.isInstance(error), `an empty text should reject with BadInputError, got ${String(error)}`);
        ensure((error as Error).message.includes('1'), `the message should name the empty text's index 1: ${(error as Error).message}`);
      },
    },
    {
      id: 'long-input-truncated',
      description: 'a text longer than the input window is truncated, not rejected',
      async run() {
        const e = await create();
        const long = 'Vector registers hold elements of SEW bits. '.repeat(2500);
        const { embeddings } = await e.embed({ texts: [long] });
        ensureVectors(embeddings, 1, e.dimensions, 'long input');
      },
    },
    {
      id: 'unicode-intact',
      description: 'unicode text reaches the backend intact and embeds deterministically',
      async run() {
        const e = await create();
        const a = await e.embed({ texts: [UNICODE_SAMPLE] });
        if (options.receivedTexts) {
          const received = await options.receivedTexts();
          ensure(received.some((t) => t.includes(UNICODE_SAMPLE)), 'the backend did not receive the unicode text intact');
        }
        const b = await e.embed({ texts: [UNICODE_SAMPLE] });
        ensureVectors(a.embeddings, 1, e.dimensions, 'unicode');
        ensure(cosine(a.embeddings[0] ?? [], b.embeddings[0] ?? []) > 0.999, 'the same unicode text embeds differently twice');
      },
    },
    {
      id: 'input-type',
      description: 'queries and documents are both accepted, with the identity prefixes applied',
      async run() {
        const e = await create();
        const query = await e.embed({ texts: ['how many registers'], inputType: 'query' });
        ensureVectors(query.embeddings, 1, e.dimensions, 'query');
        if (options.receivedTexts && e.identity.queryPrefix) {
          const received = await options.receivedTexts();
          ensure(received.includes(`${e.identity.queryPrefix}how many registers`), 'the query prefix was not applied');
        }
        const doc = await e.embed({ texts: ['how many registers'], inputType: 'document' });
        ensureVectors(doc.embeddings, 1, e.dimensions, 'document');
        if (options.receivedTexts && e.identity.documentPrefix) {
          const received = await options.receivedTexts();
          ensure(received.includes(`${e.identity.documentPrefix}how many registers`), 'the document prefix was not applied');
        }
      },
    },
    {
      id: 'reports-usage',
      description: 'every call reports a usage event',
      async run() {
        const e = await create();
        const { usage } = await e.embed({ texts: TEXTS.slice(0, 2) });
        ensure(usage !== undefined, 'usage is missing');
        ensure(usage.operation === 'embed', `usage.operation should be "embed", got ${String(usage.operation)}`);
        ensure(usage.backend === e.backend && usage.modelId === e.modelId, 'usage should name the backend and model');
        ensure(usage.items === 2, `usage.items should be 2, got ${usage.items}`);
        ensure(usage.inputTokens > 0, 'usage.inputTokens should be > 0');
        ensure(usage.outputTokens === 0, 'embeddings produce no output tokens');
        ensure(Number.isFinite(usage.latencyMs) && usage.latencyMs >= 0, 'usage.latencyMs should be a non-negative number');
        ensure(usage.cacheHit === false && usage.fallbackStep === 0, 'a bare embedder reports cacheHit false and fallbackStep 0');
      },
    },
    {
      id: 'abort-before-call',
      description: 'an already-aborted signal rejects with AbortError',
      async run() {
        const e = await create();
        ensureAbortError(await captureRejection(() => e.embed({ texts: TEXTS, abortSignal: abortedSignal() }), 'embed'), 'embed');
      },
    },
  ];
  checks.push(
    ...faultChecks(options, ALL_FAULT_KINDS, 'embed', (e, signal) =>
      e.embed({ texts: TEXTS.slice(0, 2), ...(signal && { abortSignal: signal }) }),
    ),
  );
  return asConformanceChecks(checks);
}

/** Registers the Embedder conformance suite with vitest. */
export function describeEmbedderConformance(name: string, options: EmbedderConformanceOptions): void {
  registerConformanceChecks(`Embedder conformance: ${name}`, embedderConformanceChecks(options), options);
}
