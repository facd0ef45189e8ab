import { registerSecret } from '@ragbridge/core-interfaces';
import {
  createMockEmbedder,
  createMockReranker,
  describeEmbedderConformance,
  describeRerankerConformance,
  MockFaults,
  type MockEmbedder,
  type MockReranker,
} from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { createScriptedEmbedder, createScriptedReranker, httpErrors } from './__fixtures__/scripted-models.js';
import { createManualClock } from './clock.js';
import { createFallbackEmbedder, createFallbackReranker } from './fallback-chain.js';
import { IncompatibleEmbedderError } from './resilience-errors.js';

describe('createFallbackEmbedder', () => {
  it('falls back to the same model served elsewhere, and says which step served', async () => {
    const clock = createManualClock();
    const primary = createScriptedEmbedder({ clock, backend: 'hf-tei', modelId: 'BAAI/bge-small-en-v1.5', script: [{ kind: 'fail', error: () => httpErrors.unavailable('hf-tei') }] });
    const replica = createScriptedEmbedder({ clock, backend: 'hf-tei', modelId: 'BAAI/bge-small-en-v1.5', script: [{ kind: 'ok' }] });
    const chain = createFallbackEmbedder([{ model: primary, key: 'tei-a' }, { model: replica, key: 'tei-b' }], { clock, retry: false });
    const result = await clock.run(chain.embed({ texts: ['registers', 'interrupts'] }));
    expect(result.embeddings).toHaveLength(2);
    expect(result.usage.fallbackStep).toBe(1);
    expect(chain.identity).toEqual(primary.identity);
  });

  it('refuses, at construction, a fallback to another model: its vectors would corrupt the index', () => {
    const hosted = createMockEmbedder({ backend: 'hf-inference', modelId: 'BAAI/bge-small-en-v1.5', dimensions: 384 });
    const local = createMockEmbedder({ backend: 'transformersjs', modelId: 'Xenova/all-MiniLM-L6-v2', dimensions: 384 });
    let error: unknown;
    try {
      createFallbackEmbedder([hosted, local]);
    } catch (e) {
      error = e;
    }
    expect(IncompatibleEmbedderError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Embedder fallback step 1 (provider=transformersjs;model=Xenova%2Fall-MiniLM-L6-v2');
    expect((error as Error).message).toContain('does not produce the vectors of step 0 (provider=hf-inference;model=BAAI%2Fbge-small-en-v1.5');
    expect((error as Error).message).toMatch(/corrupt the index/);
  });

  it('refuses the same model id with other prefixes, or with another vector size', () => {
    const clock = createManualClock();
    const plain = createScriptedEmbedder({ clock, script: [{ kind: 'ok' }] });
    const prefixed = createScriptedEmbedder({ clock, script: [{ kind: 'ok' }], identity: { queryPrefix: 'query: ' } });
    expect(() => createFallbackEmbedder([plain, prefixed])).toThrow(/does not produce the vectors/);
    const wider = createScriptedEmbedder({ clock, script: [{ kind: 'ok' }], dimensions: 8 });
    expect(() => createFallbackEmbedder([plain, wider])).toThrow(/8 dims.*4 dims/);
  });

  it('accepts a looser identity rule only when asked', async () => {
    const clock = createManualClock();
    const tei = createScriptedEmbedder({ clock, backend: 'hf-tei', script: [{ kind: 'fail', error: () => httpErrors.server('hf-tei') }] });
    const inference = createScriptedEmbedder({ clock, backend: 'hf-inference', script: [{ kind: 'ok' }] });
    expect(() => createFallbackEmbedder([tei, inference])).toThrow(IncompatibleEmbedderError);
    const chain = createFallbackEmbedder([tei, inference], { clock, retry: false, compatible: (a, b) => a.modelId === b.modelId });
    expect((await clock.run(chain.embed({ texts: ['x'] }))).usage.fallbackStep).toBe(1);
  });
});

describe('createFallbackReranker', () => {
  it('lets a local cross-encoder follow a hosted one', async () => {
    const clock = createManualClock();
    const hosted = createScriptedReranker({ clock, backend: 'hf-inference-providers', script: [{ kind: 'fail', error: () => httpErrors.rateLimit('hf', 60) }] });
    const local = createScriptedReranker({ clock, backend: 'transformersjs', score: 0.9, script: [{ kind: 'ok' }] });
    const chain = createFallbackReranker([hosted, local], { clock });
    const result = await clock.run(chain.rerank({ query: 'registers', texts: ['a', 'b'] }));
    expect(result).toMatchObject({ scores: [0.9, 0.9], usage: { fallbackStep: 1, backend: 'transformersjs' } });
    expect(hosted.log.calls).toBe(1); // Retry-After 60 s is longer than maxRetryAfterMs: no retry
  });
});

const secret = 'hf_fallbackEmbedSecret123456';
registerSecret(secret);
const fastRetry = { initialDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 100 };

const embedFaults = new MockFaults();
let embedders: MockEmbedder[] = [];
describeEmbedderConformance('createFallbackEmbedder of two same-identity in-memory embedders', {
  create: () =>
    createFallbackEmbedder((embedders = [createMockEmbedder({ faults: embedFaults, maxBatchSize: 8 }), createMockEmbedder({ faults: embedFaults, maxBatchSize: 8 })]), {
      retry: fastRetry,
      timeoutMs: 10_000,
    }),
  faults: embedFaults,
  secret,
  receivedTexts: () => embedders.flatMap((e) => e.requests.flat()),
});

const rerankFaults = new MockFaults();
let rerankers: MockReranker[] = [];
describeRerankerConformance('createFallbackReranker of two in-memory rerankers', {
  create: () =>
    createFallbackReranker((rerankers = [createMockReranker({ faults: rerankFaults, maxBatchSize: 4 }), createMockReranker({ faults: rerankFaults, maxBatchSize: 4 })]), {
      retry: fastRetry,
      timeoutMs: 10_000,
    }),
  faults: rerankFaults,
  secret,
  receivedTexts: () => rerankers.flatMap((r) => r.requests.flatMap((x) => [x.query, ...x.texts])),
});
