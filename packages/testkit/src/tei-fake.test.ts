import type { FaultKind } from '@ragbridge/core-interfaces/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from './fake-server.js';
import { startFakeTei, teiFaultPresets } from './tei-fake.js';

// TEI has no official JavaScript client; these tests speak its HTTP API as documented in
// its openapi.json and router source (see PROTOCOLS.md section 2).

let tei: FakeServer;
let rerank: FakeServer;
let small: FakeServer;

const post = (server: FakeServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  tei = await startFakeTei();
  rerank = await startFakeTei({ kind: 'reranker' });
  small = await startFakeTei({ maxClientBatchSize: 4, maxInputLength: 16, autoTruncate: false, payloadLimit: 2000, apiKey: 'tei-secret-key' });
});
afterAll(async () => {
  await Promise.all([tei.close(), rerank.close(), small.close()]);
});
afterEach(() => {
  for (const s of [tei, rerank, small]) {
    s.clearFaults();
    s.clearRequests();
  }
});

describe('fake TEI', () => {
  it('/health and /info report limits and model type', async () => {
    expect((await fetch(`${tei.url}/health`)).status).toBe(200);
    const info = (await (await fetch(`${small.url}/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      model_id: 'BAAI/bge-small-en-v1.5',
      model_type: { embedding: { pooling: 'cls' } },
      max_client_batch_size: 4,
      max_input_length: 16,
      auto_truncate: false,
    });
    const rerankInfo = (await (await fetch(`${rerank.url}/info`)).json()) as Record<string, unknown>;
    expect(rerankInfo.model_type).toEqual({ reranker: { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } } });
  });

  it('/embed always answers 2-D, normalized by default, in input order', async () => {
    const single = (await (await post(tei, '/embed', { inputs: 'RV32I registers' })).json()) as number[][];
    expect(single).toHaveLength(1);
    expect(single[0]).toHaveLength(384);
    expect(Math.hypot(...(single[0] ?? []))).toBeCloseTo(1, 6);
    const batch = (await (await post(tei, '/embed', { inputs: ['FDA guidance', 'RV32I registers'] })).json()) as number[][];
    expect(batch[1]).toEqual(single[0]);
    const raw = (await (await post(tei, '/embed', { inputs: ['RV32I registers'], normalize: false })).json()) as number[][];
    expect(Math.hypot(...(raw[0] ?? []))).toBeGreaterThan(1.5);
  });

  it('/embed enforces client batch size, input length, empty inputs, payload limit and the API key', async () => {
    const auth = { authorization: 'Bearer tei-secret-key' };
    const noKey = await post(small, '/embed', { inputs: ['a'] });
    expect(noKey.status).toBe(401);
    expect(await noKey.text()).toBe('');
    const tooMany = await post(small, '/embed', { inputs: ['a', 'b', 'c', 'd', 'e'] }, auth);
    expect(tooMany.status).toBe(422);
    expect(await tooMany.json()).toEqual({ error: 'batch size 5 > maximum allowed batch size 4', error_type: 'Validation' });
    const tooLong = await post(small, '/embed', { inputs: 'word '.repeat(30) }, auth);
    expect(tooLong.status).toBe(422);
    expect(((await tooLong.json()) as { error: string }).error).toMatch(/must have less than 16 tokens. Given: 32/);
    const truncated = await post(small, '/embed', { inputs: 'word '.repeat(30), truncate: true }, auth);
    expect(truncated.status).toBe(200);
    const empty = await post(small, '/embed', { inputs: [] }, auth);
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'Input validation error: `inputs` cannot be empty', error_type: 'Empty' });
    const huge = await post(small, '/embed', { inputs: ['x'.repeat(3000)] }, auth);
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('/rerank returns sigmoid scores sorted high to low with indices; raw_scores gives logits', async () => {
    const texts = ['FDA guidance', 'RV32I has 32 registers', 'vector registers'];
    const sorted = (await (await post(rerank, '/rerank', { query: 'RV32I registers', texts })).json()) as Array<{ index: number; score: number }>;
    expect(sorted.map((r) => r.index)).toEqual([1, 2, 0]);
    expect(sorted.every((r) => r.score >= 0 && r.score <= 1)).toBe(true);
    const raw = (await (await post(rerank, '/rerank', { query: 'RV32I registers', texts, raw_scores: true, return_text: true })).json()) as Array<{
      index: number;
      score: number;
      text: string;
    }>;
    expect(raw[0]).toMatchObject({ index: 1, score: 4, text: 'RV32I has 32 registers' });
    expect(raw.at(-1)?.score).toBe(-4);
  });

  it('an embedding server refuses /rerank and a reranker refuses /embed with TEI Backend errors', async () => {
    const a = await post(tei, '/rerank', { query: 'q', texts: ['t'] });
    expect(a.status).toBe(424);
    expect(await a.json()).toEqual({ error: 'Backend error: model is not a re-ranker model', error_type: 'Backend' });
    expect((await post(rerank, '/embed', { inputs: 'x' })).status).toBe(424);
  });

  it('records every request for assertions', async () => {
    await post(tei, '/embed', { inputs: ['one', 'two'], truncate: true });
    expect(tei.requestsTo('tei.embed')[0]?.json).toEqual({ inputs: ['one', 'two'], truncate: true });
  });
});

describe('every TEI fault preset', () => {
  const statusOf: Partial<Record<FaultKind, number>> = {
    auth: 401,
    payment: 402,
    'not-found': 404,
    'bad-input': 422,
    'rate-limit': 429,
    'rate-limit-retry-after': 429,
    loading: 503,
    'server-error': 500,
  };
  for (const [kind, rule] of Object.entries(teiFaultPresets) as Array<[FaultKind, (typeof teiFaultPresets)[FaultKind]]>) {
    it(kind, async () => {
      tei.fault({ ...rule, route: 'tei.embed' });
      const call = (): Promise<Response> => post(tei, '/embed', { inputs: ['a', 'b'] });
      const status = statusOf[kind];
      if (status !== undefined) {
        const response = await call();
        expect(response.status).toBe(status);
        if (kind === 'rate-limit-retry-after') expect(response.headers.get('retry-after')).toBe('7');
        if (kind === 'rate-limit') expect(await response.json()).toEqual({ error: 'Model is overloaded', error_type: 'Overloaded' });
        if (kind === 'auth') expect(await response.text()).toBe('');
        return;
      }
      if (kind === 'malformed') {
        await expect((await call()).json()).rejects.toThrow(SyntaxError);
        return;
      }
      if (kind === 'hang') {
        await expect(
          fetch(`${tei.url}/embed`, { method: 'POST', body: '{"inputs":"a"}', signal: AbortSignal.timeout(100) }),
        ).rejects.toMatchObject({ name: 'TimeoutError' });
        return;
      }
      if (kind === 'unreachable') {
        await expect(call()).rejects.toThrow(/fetch failed/);
        return;
      }
      // drop-mid-stream on a plain JSON body: half the body arrives, then the connection is cut.
      const response = await call();
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow(/terminated/);
    });
  }
});
