import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, ModelNotFoundError, RequestTimeoutError, embedderIdentityKey } from '@ragbridge/core-interfaces';
import { cosine } from '@ragbridge/core-interfaces/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFLINE, TEST_MODELS, TINY_EMBEDDER, WorkerTrafficLog } from './__fixtures__/test-models.js';
import { observeWorkerTraffic } from './internal/model-host.js';
import { createTransformersEmbedder, type TransformersEmbedder } from './transformers-embedder.js';

const traffic = new WorkerTrafficLog();
const created: TransformersEmbedder[] = [];
function embedder(options: Parameters<typeof createTransformersEmbedder>[0] = {}): TransformersEmbedder {
  const e = createTransformersEmbedder({ ...OFFLINE, model: TINY_EMBEDDER, ...options });
  created.push(e);
  return e;
}
afterAll(async () => {
  traffic.stop();
  await Promise.all(created.map((e) => e.dispose()));
});

const norm = (v: number[]): number => Math.hypot(...v);

describe('createTransformersEmbedder', () => {
  it('loads a model once for every embedder with the same options and reports its files and memory', async () => {
    const loadsBefore = traffic.responses.filter((r) => r.type === 'loaded').length;
    const a = embedder({ pooling: 'mean' });
    const b = embedder({ pooling: 'mean', queryPrefix: 'q: ' }); // call options differ, the model does not
    expect(a.getLoadedModelInfo()).toBeUndefined();
    await Promise.all([a.embed({ texts: ['first'] }), b.embed({ texts: ['second'] })]);
    expect(traffic.responses.filter((r) => r.type === 'loaded').length - loadsBefore).toBe(1);

    const info = a.getLoadedModelInfo();
    expect(info).toEqual(b.getLoadedModelInfo());
    const onnx = join(TEST_MODELS, TINY_EMBEDDER, 'onnx', 'model.onnx');
    expect(info).toMatchObject({ modelId: TINY_EMBEDDER, task: 'feature-extraction', dtype: 'fp32', dimensions: 32, maxInputTokens: 128 });
    expect(info?.files).toContainEqual({ file: 'onnx/model.onnx', path: onnx, bytes: statSync(onnx).size });
    expect(info?.files.map((f) => f.file).sort()).toEqual(['config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(info?.fileBytes).toBe(info?.files.reduce((sum, f) => sum + f.bytes, 0));
    expect(Number.isFinite(info?.rssDeltaBytes)).toBe(true);
    expect(info?.loadMs).toBeGreaterThan(0);
    expect(a.dimensions).toBe(32);
  });

  it('selects the ONNX file by dtype: q8 reads model_quantized.onnx, gives close vectors and a different identity', async () => {
    const full = embedder({ dtype: 'fp32' });
    const quantized = embedder({ dtype: 'q8' });
    const text = 'Machine-mode status register mstatus.MIE enables interrupts.';
    const [a, b] = await Promise.all([full.embed({ texts: [text] }), quantized.embed({ texts: [text] })]);
    expect(quantized.getLoadedModelInfo()?.files.map((f) => f.file)).toContain('onnx/model_quantized.onnx');
    const similarity = cosine(a.embeddings[0] ?? [], b.embeddings[0] ?? []);
    expect(similarity).toBeGreaterThan(0.99);
    expect(similarity).toBeLessThan(0.999999);
    expect(full.identity.revision).toBe('main+fp32');
    expect(quantized.identity.revision).toBe('main+q8');
    expect(embedderIdentityKey(full.identity)).not.toBe(embedderIdentityKey(quantized.identity));
  });

  it('also loads a model from an absolute folder path', async () => {
    const folder = join(TEST_MODELS, TINY_EMBEDDER);
    const byPath = embedder({ model: folder, localModelPath: undefined });
    const byId = embedder();
    const [a, b] = await Promise.all([byPath.embed({ texts: ['funct3 selects the operation'] }), byId.embed({ texts: ['funct3 selects the operation'] })]);
    expect(byPath.modelId).toBe(folder);
    expect(a.embeddings).toEqual(b.embeddings);
  });

  it('loads from the download cache (cacheDir) when the local model folder lacks the model', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ragbridge-tjs-cache-'));
    try {
      const cacheDir = join(scratch, 'cache');
      cpSync(join(TEST_MODELS, TINY_EMBEDDER), join(cacheDir, TINY_EMBEDDER), { recursive: true });
      const cached = embedder({ localModelPath: join(scratch, 'empty'), cacheDir });
      const fromCache = await cached.embed({ texts: ['funct3 selects the operation'] });
      expect(cached.getLoadedModelInfo()?.files.every((f) => f.path.startsWith(join(cacheDir, TINY_EMBEDDER)))).toBe(true);
      expect(fromCache.embeddings).toEqual((await embedder().embed({ texts: ['funct3 selects the operation'] })).embeddings);
      await cached.dispose();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('truncates texts to the model window: words past token 128 do not change the vector', async () => {
    const e = embedder();
    const head = 'vector registers hold elements '.repeat(60);
    const { embeddings, usage } = await e.embed({ texts: [`${head} alpha beta`, `${head} the FDA guidance describes software validation`] });
    expect(usage.inputTokens).toBe(2 * 128);
    expect(cosine(embeddings[0] ?? [], embeddings[1] ?? [])).toBeGreaterThan(0.999999);
    // Within the window the same change does move the vector.
    const short = await e.embed({ texts: ['vector registers alpha beta', 'vector registers the FDA guidance describes software validation'] });
    expect(cosine(short.embeddings[0] ?? [], short.embeddings[1] ?? [])).toBeLessThan(0.99);
  });

  it('counts real tokens (not padding) as input tokens', async () => {
    const e = embedder();
    const { usage } = await e.embed({ texts: ['hello', 'hello world data file'] });
    // [CLS] hello [SEP] + [CLS] hello world data file [SEP]
    expect(usage.inputTokens).toBe(3 + 6);
  });

  it('pools the last real token even when the batch is padded', async () => {
    const e = embedder({ pooling: 'last-token', normalize: false });
    const texts = ['short', 'a much longer text with many more words than the first'];
    const batch = await e.embed({ texts });
    for (const [i, text] of texts.entries()) {
      const single = await e.embed({ texts: [text] });
      expect(single.embeddings[0]).toEqual(batch.embeddings[i]);
    }
    expect(e.identity).toMatchObject({ pooling: 'last-token', normalized: false });
  });

  it('gives different vectors for mean, cls and last-token pooling, normalized only when asked', async () => {
    const text = ['the vector length multiplier lmul groups registers'];
    const [mean, cls, raw] = await Promise.all([
      embedder().embed({ texts: text }),
      embedder({ pooling: 'cls' }).embed({ texts: text }),
      embedder({ normalize: false }).embed({ texts: text }),
    ]);
    expect(cosine(mean.embeddings[0] ?? [], cls.embeddings[0] ?? [])).toBeLessThan(0.99);
    expect(norm(mean.embeddings[0] ?? [])).toBeCloseTo(1, 5);
    expect(norm(raw.embeddings[0] ?? [])).not.toBeCloseTo(1, 2);
    expect(cosine(mean.embeddings[0] ?? [], raw.embeddings[0] ?? [])).toBeGreaterThan(0.99999);
  });

  it('rejects blank texts by index without loading anything', async () => {
    const e = createTransformersEmbedder({ ...OFFLINE, model: 'ragbridge-test/not-loaded' });
    const error = await e.embed({ texts: ['ok', '   '] }).catch((err: unknown) => err);
    expect(BadInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('texts[1]');
    expect(e.getLoadedModelInfo()).toBeUndefined();
  });

  it('rejects invalid options with every problem named', () => {
    expect(() => createTransformersEmbedder({ localModelPath: 'relative/models' })).toThrow(/localModelPath[\s\S]*absolute/);
    expect(() => createTransformersEmbedder({ dtype: 'q3' as never })).toThrow(BadInputError);
    expect(() => createTransformersEmbedder({ modelName: 'x' } as never)).toThrow(/modelName/);
    expect(() => createTransformersEmbedder({ maxBatchSize: 0 })).toThrow(/maxBatchSize/);
  });

  it('uses small defaults: all-MiniLM-L6-v2 in q8, mean pooling, normalized', () => {
    const e = createTransformersEmbedder();
    expect(e.modelId).toBe('Xenova/all-MiniLM-L6-v2');
    expect(e.identity).toEqual({ provider: 'transformersjs', modelId: 'Xenova/all-MiniLM-L6-v2', revision: 'main+q8', pooling: 'mean', normalized: true });
    expect(e.maxBatchSize).toBe(32);
    expect(e.dimensions).toBeUndefined();
  });

  it('reads HF_HUB_OFFLINE at the first call: no download, a clear ModelNotFoundError', async () => {
    const previous = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const e = createTransformersEmbedder({ model: 'ragbridge-test/only-on-the-hub', localModelPath: TEST_MODELS });
      const error = await e.embed({ texts: ['x'] }).catch((err: unknown) => err);
      expect(ModelNotFoundError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('allowRemoteModels: false');
    } finally {
      if (previous === undefined) delete process.env.HF_HUB_OFFLINE;
      else process.env.HF_HUB_OFFLINE = previous;
    }
  });

  it('aborting a split call rejects with the caller’s reason and stops sending batches', async () => {
    const e = embedder({ maxBatchSize: 2 });
    await e.load();
    const controller = new AbortController();
    const reason = new DOMException('user left', 'AbortError');
    const posted = traffic.requests.length;
    const unsubscribe = observeWorkerTraffic((message) => {
      if ('cancel' in message && message.type === 'embed') controller.abort(reason);
    });
    try {
      const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
      await expect(e.embed({ texts, abortSignal: controller.signal })).rejects.toBe(reason);
      expect(traffic.requests.length - posted).toBe(1);
    } finally {
      unsubscribe();
    }
    // The worker is still serving.
    expect((await e.embed({ texts: ['after the abort'] })).embeddings).toHaveLength(1);
  });

  it('maps a TimeoutError abort reason to RequestTimeoutError', async () => {
    const e = embedder();
    await e.load();
    const controller = new AbortController();
    const call = e.embed({ texts: ['a', 'b'], abortSignal: controller.signal });
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    const error = await call.catch((err: unknown) => err);
    expect(RequestTimeoutError.isInstance(error)).toBe(true);
    expect((error as RequestTimeoutError).isRetryable).toBe(true);
  });

  it('dispose stops the worker; a later call loads the model again', async () => {
    const e = createTransformersEmbedder({ ...OFFLINE, model: TINY_EMBEDDER, threads: 1 });
    created.push(e);
    const first = await e.embed({ texts: ['before'] });
    const loads = traffic.responses.filter((r) => r.type === 'loaded').length;
    await e.dispose();
    expect(e.getLoadedModelInfo()).toBeUndefined();
    const second = await e.embed({ texts: ['before'] });
    expect(traffic.responses.filter((r) => r.type === 'loaded').length).toBe(loads + 1);
    expect(second.embeddings).toEqual(first.embeddings);
  });
});
