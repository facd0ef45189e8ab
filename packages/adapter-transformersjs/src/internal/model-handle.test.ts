import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ModelNotFoundError, RagbridgeError } from '@ragbridge/core-interfaces';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OFFLINE, TEST_MODELS, TINY_CROSS_ENCODER, TINY_EMBEDDER } from '../__fixtures__/test-models.js';
import { createTransformersEmbedder } from '../transformers-embedder.js';
import { createTransformersReranker } from '../transformers-reranker.js';
import { modelHandleFor } from './model-handle.js';
import { ModelHost } from './model-host.js';
import type { ModelLoadConfig } from './protocol.js';
import { startWorker } from './worker-entry.js';

// Workers still start for real; the spy only counts the starts.
vi.mock('./worker-entry.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./worker-entry.js')>();
  return { startWorker: vi.fn(original.startWorker) };
});
const workerStarts = vi.mocked(startWorker);
// A block body: vitest would run a returned function (here the mock itself) as a teardown.
beforeEach(() => {
  workerStarts.mockClear();
});

// Models that "arrive" during a test are copied into a scratch models folder.
const scratch = mkdtempSync(join(tmpdir(), 'ragbridge-tjs-handle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const scratchModels = join(scratch, 'models');

function copyTinyEmbedderTo(model: string): void {
  cpSync(join(TEST_MODELS, TINY_EMBEDDER), join(scratchModels, model), { recursive: true });
}

async function failure(call: Promise<unknown>): Promise<RagbridgeError> {
  const error = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(RagbridgeError.isInstance(error), `expected a RagbridgeError, got ${String(error)}`).toBe(true);
  return error as RagbridgeError;
}

describe('a model missing on disk with downloads off', () => {
  it('fails every call of the embedder and the reranker at once, without starting a worker', async () => {
    const embedder = createTransformersEmbedder({ ...OFFLINE, model: 'ragbridge-test/not-downloaded-embedder' });
    const reranker = createTransformersReranker({ ...OFFLINE, model: 'ragbridge-test/not-downloaded-reranker' });
    const steps = [() => embedder.embed({ texts: ['hello'] }), () => reranker.rerank({ query: 'q', texts: ['t'] })];
    for (const step of steps) {
      const durations: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const error = await failure(step());
        durations.push(performance.now() - started);
        expect(ModelNotFoundError.isInstance(error)).toBe(true);
        expect(error.message).toContain('Model files config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx not found (looked in ');
      }
      // A worker start alone takes hundreds of milliseconds; the bound is loose on purpose.
      expect(Math.max(...durations.slice(1))).toBeLessThan(50);
    }
    expect(workerStarts).not.toHaveBeenCalled();
  });

  it('reports the same files and folders as the worker would', async () => {
    const base = { task: 'feature-extraction', revision: 'main', cacheDir: undefined, allowRemoteModels: false, threads: undefined } as const;
    const configs: ModelLoadConfig[] = [
      // Default cache folder (located inside the Transformers.js package) and a quantized dtype.
      { ...base, model: 'ragbridge-test/nowhere', dtype: 'q8', localModelPath: TEST_MODELS },
      // Both roots given, a revision other than main, and only the ONNX file of the dtype missing.
      { ...base, model: TINY_EMBEDDER, dtype: 'fp16', localModelPath: TEST_MODELS, cacheDir: scratch, revision: 'v2' },
    ];
    for (const config of configs) {
      const target = { backend: 'transformersjs', modelId: config.model };
      const handle = modelHandleFor(config.task, config.model, config, config.dtype);
      const fromCallingThread = await failure(handle.load());
      await handle.dispose();
      // The host on its own skips the calling-thread check, so this one comes from a worker.
      const host = new ModelHost(config, target);
      const fromWorker = await failure(host.load());
      await host.terminate();
      expect(ModelNotFoundError.isInstance(fromCallingThread)).toBe(true);
      expect(fromCallingThread.message).toBe(fromWorker.message);
    }
    expect(workerStarts).toHaveBeenCalledTimes(2);
  });
});

describe('models on disk with downloads off', () => {
  it('still load the tiny test models, by id and by absolute folder, each in one worker', async () => {
    const embedder = createTransformersEmbedder({ ...OFFLINE, model: TINY_EMBEDDER });
    const reranker = createTransformersReranker({ model: join(TEST_MODELS, TINY_CROSS_ENCODER), allowRemoteModels: false, dtype: 'fp32' });
    expect((await embedder.embed({ texts: ['32 registers', 'a pipeline'] })).embeddings).toHaveLength(2);
    expect((await reranker.rerank({ query: 'registers', texts: ['32 registers', 'a pipeline'] })).scores).toHaveLength(2);
    expect((await embedder.embed({ texts: ['again'] })).embeddings).toHaveLength(1);
    expect(workerStarts).toHaveBeenCalledTimes(2);
    await Promise.all([embedder.dispose(), reranker.dispose()]);
  });
});

describe('a model copied into place after a failure', () => {
  const source = { localModelPath: scratchModels, allowRemoteModels: false, dtype: 'fp32' } as const;

  it('is used once the remembered failure expires', async () => {
    const model = 'ragbridge-test/arrives-later';
    let clock = 1_000;
    const handle = modelHandleFor('feature-extraction', model, source, 'fp32', { ttlMs: 5_000, now: () => clock });
    expect(ModelNotFoundError.isInstance(await failure(handle.load()))).toBe(true);

    copyTinyEmbedderTo(model);
    clock += 4_999;
    // Still the remembered answer: the folder is not looked at again before the TTL ends.
    expect(ModelNotFoundError.isInstance(await failure(handle.load()))).toBe(true);
    expect(workerStarts).not.toHaveBeenCalled();

    clock += 1;
    expect((await handle.load()).dimensions).toBeGreaterThan(0);
    expect(workerStarts).toHaveBeenCalledTimes(1);
    await handle.dispose();
  });

  it('is used at once by a new adapter, and then by the old one through the running worker', async () => {
    const model = 'ragbridge-test/arrives-for-a-new-adapter';
    const old = modelHandleFor('feature-extraction', model, source, 'fp32', { now: () => 0 });
    expect(ModelNotFoundError.isInstance(await failure(old.load()))).toBe(true);

    copyTinyEmbedderTo(model);
    expect(ModelNotFoundError.isInstance(await failure(old.load()))).toBe(true);
    const fresh = createTransformersEmbedder({ ...source, model });
    expect((await fresh.embed({ texts: ['hello'] })).embeddings).toHaveLength(1);
    // Same configuration, same host: its worker now answers for the old adapter too.
    expect((await old.load()).dimensions).toBeGreaterThan(0);
    expect(workerStarts).toHaveBeenCalledTimes(1);
    await Promise.all([old.dispose(), fresh.dispose()]);
  });
});
