import { BadInputError, RequestTimeoutError } from '@ragbridge/core-interfaces';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFLINE, TINY_CROSS_ENCODER, WorkerTrafficLog } from './__fixtures__/test-models.js';
import { createTransformersReranker, type TransformersReranker } from './transformers-reranker.js';

const traffic = new WorkerTrafficLog();
const created: TransformersReranker[] = [];
function reranker(options: Parameters<typeof createTransformersReranker>[0] = {}): TransformersReranker {
  const r = createTransformersReranker({ ...OFFLINE, model: TINY_CROSS_ENCODER, ...options });
  created.push(r);
  return r;
}
afterAll(async () => {
  traffic.stop();
  await Promise.all(created.map((r) => r.dispose()));
});

describe('createTransformersReranker', () => {
  it('scores texts that share the query’s words above unrelated ones', async () => {
    const { scores } = await reranker().rerank({
      query: 'how does the vector length multiplier group registers',
      texts: [
        'The FDA guidance describes software validation activities.',
        'The vector length multiplier LMUL groups vector registers.',
        'Medical device software requirements and risk analysis.',
      ],
    });
    const [fda, lmul, medical] = scores as [number, number, number];
    expect(lmul).toBeGreaterThan(fda + 0.3);
    expect(lmul).toBeGreaterThan(medical + 0.3);
  });

  it('sends each text as the second segment of a pair with the query', async () => {
    const r = reranker();
    await r.rerank({ query: 'registers', texts: ['one', 'two'] });
    expect(traffic.requests.at(-1)).toMatchObject({ type: 'rerank', query: 'registers', texts: ['one', 'two'] });
  });

  it('truncates long pairs to the model window: words past token 128 do not change the score', async () => {
    const r = reranker();
    const head = 'rv32i registers are 32 bits wide . '.repeat(40);
    const { scores, usage } = await r.rerank({ query: 'rv32i registers', texts: [`${head} hello`, `${head} the fda guidance`] });
    expect(usage.inputTokens).toBe(2 * 128);
    expect(scores[0]).toBeCloseTo(scores[1] as number, 6);
  });

  it('uses the MS MARCO MiniLM cross-encoder in q8 by default', () => {
    const r = createTransformersReranker();
    expect(r.modelId).toBe('Xenova/ms-marco-MiniLM-L-6-v2');
    expect(r.backend).toBe('transformersjs');
    expect(r.maxBatchSize).toBe(32);
  });

  it('rejects an empty query before loading the model', async () => {
    const r = createTransformersReranker({ ...OFFLINE, model: 'ragbridge-test/never-loaded' });
    await expect(r.rerank({ query: '', texts: ['x'] })).rejects.toSatisfy((e: unknown) => BadInputError.isInstance(e));
    expect(r.getLoadedModelInfo()).toBeUndefined();
  });

  it('reports the loaded model and maps a deadline abort to RequestTimeoutError', async () => {
    const r = reranker();
    const info = await r.load();
    expect(info).toMatchObject({ modelId: TINY_CROSS_ENCODER, task: 'cross-encoder', dtype: 'fp32', maxInputTokens: 128, dimensions: undefined });
    expect(info.files.map((f) => f.file)).toContain('onnx/model.onnx');
    const controller = new AbortController();
    const call = r.rerank({ query: 'q', texts: ['t'], abortSignal: controller.signal });
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    await expect(call).rejects.toSatisfy((e: unknown) => RequestTimeoutError.isInstance(e));
  });
});
