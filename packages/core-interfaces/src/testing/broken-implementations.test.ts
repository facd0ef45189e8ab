import { describe, expect, it } from 'vitest';
import type { ChatCallOptions, ChatModelV1, ChatStreamPart } from '../chat-model.js';
import type { EmbedOptions, EmbedderV1 } from '../embedder.js';
import { BadInputError } from '../errors.js';
import type { RerankOptions, RerankerV1 } from '../reranker.js';
import { chatModelConformanceChecks } from './chat-model-conformance.js';
import { ConformanceFailure, type ConformanceCheck } from './conformance-core.js';
import { ALL_FAULT_KINDS } from './conformance-faults.js';
import { embedderConformanceChecks } from './embedder-conformance.js';
import { createMockChatModel } from './mock-chat-model.js';
import { createMockEmbedder } from './mock-embedder.js';
import { MockFaults } from './mock-faults.js';
import { createMockReranker } from './mock-reranker.js';
import { rerankerConformanceChecks } from './reranker-conformance.js';
import { composeGroundedReply } from './text-features.js';

// Each promise of each contract must be able to fail: for every check there is an
// implementation that breaks exactly that promise, and the check must reject it.

/** Rethrows any error as a plain Error, like an adapter that forgot the typed error family. */
async function untyped<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new Error(`request failed: ${(error as Error).message}`);
  }
}

const errorBreakers = <T>(make: () => T): Record<string, () => T> =>
  Object.fromEntries(ALL_FAULT_KINDS.map((kind) => [`errors.${kind}`, make]));

async function expectCheckToFail(checks: ConformanceCheck[], id: string): Promise<void> {
  const check = checks.find((c) => c.id === id);
  expect(check, `no check named ${id}`).toBeDefined();
  await expect(check?.run()).rejects.toBeInstanceOf(ConformanceFailure);
}

describe('chat conformance checks fail for broken chat models', () => {
  const faults = new MockFaults();
  const base = createMockChatModel({ faults });
  const withoutSignal = (o: ChatCallOptions): ChatCallOptions => ({ ...o, abortSignal: undefined as never });
  let locked = false;
  const breakers: Record<string, () => ChatModelV1> = {
    'contract-shape': () => ({ ...base, specificationVersion: 'v0' as 'v1' }),
    'generate-returns-text': () => ({ ...base, generate: async (o) => ({ ...(await base.generate(o)), text: '' }) }),
    'generate-reports-usage': () => ({
      ...base,
      generate: async (o) => {
        const r = await base.generate(o);
        return { ...r, usage: { ...r.usage, inputTokens: 0 } };
      },
    }),
    'stream-order': () => ({
      ...base,
      stream: (o) => ({
        async *[Symbol.asyncIterator]() {
          const parts: ChatStreamPart[] = [];
          for await (const p of base.stream(o)) parts.push(p);
          yield* [parts[parts.length - 1] as ChatStreamPart, ...parts.slice(0, -1)];
        },
      }),
    }),
    'stream-reports-usage': () => ({
      ...base,
      stream: (o) => ({
        async *[Symbol.asyncIterator]() {
          for await (const p of base.stream(o)) yield p.type === 'finish' ? { ...p, usage: { ...p.usage, streamed: false } } : p;
        },
      }),
    }),
    'stream-early-break': () => ({
      ...base,
      generate: async (o) => {
        if (locked) throw new Error('connection pool exhausted: a stream was never released');
        return base.generate(o);
      },
      stream: (o) => ({
        async *[Symbol.asyncIterator]() {
          locked = true;
          for await (const p of base.stream(o)) yield p;
          locked = false;
        },
      }),
    }),
    'abort-before-call': () => ({ ...base, generate: (o) => base.generate(withoutSignal(o)) }),
    'abort-mid-stream': () => ({ ...base, stream: (o) => base.stream(withoutSignal(o)) }),
    'unicode-intact': () =>
      createMockChatModel({ reply: (m) => composeGroundedReply(m).replace(/[^\p{ASCII}]/gu, '?') }),
    'empty-messages-rejected': () => ({
      ...base,
      generate: async (o) => base.generate(o.messages.length ? o : { ...o, messages: [{ role: 'user', content: 'hi' }] }),
    }),
    'long-input': () => ({
      ...base,
      generate: async (o) => {
        if (o.messages.some((m) => m.content.length > 100_000)) throw new Error('context window exceeded');
        return base.generate(o);
      },
    }),
    ...errorBreakers(() => ({
      ...base,
      generate: (o: ChatCallOptions) => untyped(() => base.generate(o)),
      stream: (o: ChatCallOptions) => ({
        async *[Symbol.asyncIterator]() {
          yield* await untyped(async () => {
            const parts: ChatStreamPart[] = [];
            for await (const p of base.stream(o)) parts.push(p);
            return parts;
          });
        },
      }),
    })),
  };
  const checks = chatModelConformanceChecks({
    create: () => current(),
    faults,
    quotesContext: true,
    receivedTexts: () => (base.calls.at(-1) ?? []).map((m) => m.content),
  });
  let current: () => ChatModelV1 = () => base;

  it('has a breaker for every check', () => {
    expect(Object.keys(breakers).sort()).toEqual(checks.map((c) => c.id).sort());
  });
  for (const [id, breaker] of Object.entries(breakers)) {
    it(`${id} catches a model that breaks it`, async () => {
      locked = false;
      current = breaker;
      await expectCheckToFail(checks, id);
      await faults.clear();
    });
  }
});

describe('embedder conformance checks fail for broken embedders', () => {
  const faults = new MockFaults();
  const base = createMockEmbedder({ faults, maxBatchSize: 4 });
  const mapped = (transform: (vectors: number[][], o: EmbedOptions) => number[][]) => (): EmbedderV1 => ({
    ...base,
    embed: async (o) => {
      const r = await base.embed(o);
      return { ...r, embeddings: transform(r.embeddings, o) };
    },
  });
  let revision = 0;
  const breakers: Record<string, () => EmbedderV1> = {
    'contract-shape': () => ({ ...base, maxBatchSize: 0 }),
    'embed-shape': mapped((v) => v.slice(0, -1)),
    'identity-stable': () => ({
      ...base,
      get identity() {
        return { ...base.identity, revision: `r${revision}` };
      },
      embed: async (o) => {
        revision++;
        return base.embed(o);
      },
    }),
    'embed-normalized': mapped((v) => v.map((row) => row.map((x) => x * 2))),
    'batch-order': mapped((v) => [...v].reverse()),
    'large-batch': mapped((v, o) => {
      if (o.texts.length <= base.maxBatchSize) return v;
      const batches: number[][][] = [];
      for (let i = 0; i < v.length; i += base.maxBatchSize) batches.push(v.slice(i, i + base.maxBatchSize));
      return batches.reverse().flat();
    }),
    'empty-batch': () => ({
      ...base,
      embed: async (o) => {
        if (o.texts.length === 0) throw new BadInputError({ message: 'Input validation error: `inputs` cannot be empty' });
        return base.embed(o);
      },
    }),
    'empty-string-rejected': () => ({ ...base, embed: (o) => base.embed({ ...o, texts: o.texts.filter(Boolean) }) }),
    'long-input-truncated': () => ({
      ...base,
      embed: async (o) => {
        if (o.texts.some((t) => t.length > 10_000)) throw new BadInputError({ message: 'input too long' });
        return base.embed(o);
      },
    }),
    'unicode-intact': () => ({
      ...base,
      embed: (o) => base.embed({ ...o, texts: o.texts.map((t) => Buffer.from(t, 'utf8').toString('latin1')) }),
    }),
    'input-type': () => ({ ...base, identity: { ...base.identity, queryPrefix: 'query: ' } }),
    'reports-usage': () => ({
      ...base,
      embed: async (o) => {
        const r = await base.embed(o);
        return { ...r, usage: { ...r.usage, items: 1 } };
      },
    }),
    'abort-before-call': () => ({ ...base, embed: (o) => base.embed({ texts: o.texts }) }),
    ...errorBreakers(() => ({ ...base, embed: (o: EmbedOptions) => untyped(() => base.embed(o)) })),
  };
  let current: () => EmbedderV1 = () => base;
  const checks = embedderConformanceChecks({ create: () => current(), faults, receivedTexts: () => base.requests.flat() });

  it('has a breaker for every check', () => {
    expect(Object.keys(breakers).sort()).toEqual(checks.map((c) => c.id).sort());
  });
  for (const [id, breaker] of Object.entries(breakers)) {
    it(`${id} catches an embedder that breaks it`, async () => {
      current = breaker;
      await expectCheckToFail(checks, id);
      await faults.clear();
    });
  }
});

describe('reranker conformance checks fail for broken rerankers', () => {
  const faults = new MockFaults();
  const base = createMockReranker({ faults, maxBatchSize: 4 });
  const mapped = (transform: (scores: number[], o: RerankOptions) => number[]) => (): RerankerV1 => ({
    ...base,
    rerank: async (o) => {
      const r = await base.rerank(o);
      return { ...r, scores: transform(r.scores, o) };
    },
  });
  const breakers: Record<string, () => RerankerV1> = {
    'contract-shape': () => ({ ...base, specificationVersion: 'v2' as 'v1' }),
    'scores-in-range': mapped((s) => s.map((x) => x * 10 - 5)),
    'input-order': mapped((s) => [...s].sort((a, b) => b - a)),
    'large-batch': mapped((s) => s.map((x, i) => (i < base.maxBatchSize ? x : 0.5))),
    'empty-texts': () => ({
      ...base,
      rerank: async (o) => {
        if (o.texts.length === 0) throw new BadInputError({ message: '`texts` cannot be empty' });
        return base.rerank(o);
      },
    }),
    'empty-query-rejected': () => ({ ...base, rerank: (o) => base.rerank({ ...o, query: o.query.trim() || 'anything' }) }),
    'long-input-truncated': () => ({
      ...base,
      rerank: async (o) => {
        if (o.texts.some((t) => t.length > 10_000)) throw new BadInputError({ message: 'input too long' });
        return base.rerank(o);
      },
    }),
    'unicode-intact': () => ({
      ...base,
      rerank: (o) => base.rerank({ ...o, texts: o.texts.map((t) => t.normalize('NFKD').replace(/[^\p{ASCII}]/gu, '')) }),
    }),
    'reports-usage': () => ({
      ...base,
      rerank: async (o) => {
        const r = await base.rerank(o);
        return { ...r, usage: { ...r.usage, operation: 'embed' } };
      },
    }),
    'abort-before-call': () => ({ ...base, rerank: (o) => base.rerank({ query: o.query, texts: o.texts }) }),
    ...errorBreakers(() => ({ ...base, rerank: (o: RerankOptions) => untyped(() => base.rerank(o)) })),
  };
  let current: () => RerankerV1 = () => base;
  const checks = rerankerConformanceChecks({
    create: () => current(),
    faults,
    receivedTexts: () => base.requests.flatMap((r) => [r.query, ...r.texts]),
  });

  it('has a breaker for every check', () => {
    expect(Object.keys(breakers).sort()).toEqual(checks.map((c) => c.id).sort());
  });
  for (const [id, breaker] of Object.entries(breakers)) {
    it(`${id} catches a reranker that breaks it`, async () => {
      current = breaker;
      await expectCheckToFail(checks, id);
      await faults.clear();
    });
  }
});
