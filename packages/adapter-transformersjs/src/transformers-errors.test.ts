import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidResponseError, ModelNotFoundError, RagbridgeError } from '@ragbridge/core-interfaces';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFLINE, TEST_MODELS, TINY_CHAT, TINY_CROSS_ENCODER, TINY_EMBEDDER } from './__fixtures__/test-models.js';
import { createTransformersChatModel } from './transformers-chat-model.js';
import { createTransformersEmbedder } from './transformers-embedder.js';
import { createTransformersReranker } from './transformers-reranker.js';

// Broken model folders live in a scratch copy of the test models.
const scratch = mkdtempSync(join(tmpdir(), 'ragbridge-tjs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function copyModel(name: string, as: string): string {
  const folder = join(scratch, 'broken', as);
  cpSync(join(TEST_MODELS, name), folder, { recursive: true });
  return folder;
}

async function failure(call: Promise<unknown>): Promise<RagbridgeError> {
  const error = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(RagbridgeError.isInstance(error), `expected a RagbridgeError, got ${String(error)}`).toBe(true);
  return error as RagbridgeError;
}

describe('a missing model folder or file', () => {
  it('fails the embedder with ModelNotFoundError naming the folder, the file and how to pre-download', async () => {
    const e = createTransformersEmbedder({ ...OFFLINE, model: 'ragbridge-test/no-such-model' });
    const error = await failure(e.embed({ texts: ['hello'] }));
    const folder = join(TEST_MODELS, 'ragbridge-test/no-such-model');
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('Model files config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx not found');
    expect(error.message).toContain(`looked in ${folder} and `);
    expect(error.message).toContain('allowRemoteModels: false');
    expect(error.message).toMatch(/Pre-download the model once with allowRemoteModels: true and the same cacheDir/);
    expect(error.message).toContain('transformersjs model "ragbridge-test/no-such-model"');
  });

  it('fails the reranker and the chat model the same way, also through load()', async () => {
    for (const model of [
      createTransformersReranker({ ...OFFLINE, model: 'ragbridge-test/no-such-reranker' }),
      createTransformersChatModel({ ...OFFLINE, model: 'ragbridge-test/no-such-chat' }),
    ]) {
      const error = await failure(model.load());
      expect(ModelNotFoundError.isInstance(error)).toBe(true);
      expect(error.message).toContain(`looked in ${join(TEST_MODELS, model.modelId)}`);
    }
  });

  it('names the ONNX file of the requested dtype when only that file is missing', async () => {
    const e = createTransformersEmbedder({ ...OFFLINE, model: TINY_EMBEDDER, dtype: 'fp16' });
    const error = await failure(e.embed({ texts: ['hello'] }));
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect(error.message).toContain(`Model file onnx/model_fp16.onnx not found (looked in ${join(TEST_MODELS, TINY_EMBEDDER)}`);
    expect(error.message).toContain('set dtype to match');
  });

  it('names an absolute model folder that does not exist', async () => {
    const missing = join(scratch, 'nowhere', 'model');
    const error = await failure(createTransformersReranker({ model: missing, allowRemoteModels: false, dtype: 'fp32' }).rerank({ query: 'q', texts: ['t'] }));
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect(error.message).toContain(`not found (looked in ${missing})`);
  });
});

describe('a corrupt model folder', () => {
  it('fails with InvalidResponseError naming the unreadable ONNX file, then loads once the file is repaired', async () => {
    const folder = copyModel(TINY_EMBEDDER, 'corrupt-onnx');
    const onnx = join(folder, 'onnx', 'model.onnx');
    const good = readFileSync(onnx);
    writeFileSync(onnx, 'this is not an ONNX protobuf');
    const e = createTransformersEmbedder({ model: folder, allowRemoteModels: false, dtype: 'fp32' });
    const error = await failure(e.embed({ texts: ['hello'] }));
    expect(InvalidResponseError.isInstance(error)).toBe(true);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain(onnx);
    expect(error.message).toMatch(/corrupt, truncated or not a model of this kind/);

    // The failure is not remembered: the next call loads the repaired folder.
    writeFileSync(onnx, good);
    expect((await e.embed({ texts: ['hello'] })).embeddings).toHaveLength(1);
    await e.dispose();
  });

  it('fails on a truncated ONNX file', async () => {
    const folder = copyModel(TINY_CROSS_ENCODER, 'truncated-onnx');
    const onnx = join(folder, 'onnx', 'model.onnx');
    writeFileSync(onnx, readFileSync(onnx).subarray(0, 20_000));
    const error = await failure(createTransformersReranker({ model: folder, allowRemoteModels: false, dtype: 'fp32' }).load());
    expect(InvalidResponseError.isInstance(error)).toBe(true);
    expect(error.message).toContain(onnx);
  });

  it('fails on an unreadable tokenizer.json', async () => {
    const folder = copyModel(TINY_EMBEDDER, 'corrupt-tokenizer');
    writeFileSync(join(folder, 'tokenizer.json'), '{"model": ');
    const error = await failure(createTransformersEmbedder({ model: folder, allowRemoteModels: false, dtype: 'fp32' }).embed({ texts: ['hello'] }));
    expect(InvalidResponseError.isInstance(error)).toBe(true);
    expect(error.message).toContain(join(folder, 'tokenizer.json'));
    expect(error.message).toContain('Unexpected end of JSON input');
  });

  it('refuses a chat model whose tokenizer has no chat template', async () => {
    const folder = copyModel(TINY_CHAT, 'no-chat-template');
    const configPath = join(folder, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    delete config.chat_template;
    writeFileSync(configPath, JSON.stringify(config));
    const error = await failure(createTransformersChatModel({ model: folder, allowRemoteModels: false, dtype: 'fp32' }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(InvalidResponseError.isInstance(error)).toBe(true);
    expect(error.message).toContain('no chat template');
  });

  it('refuses an encoder without a classification head as a reranker', async () => {
    const reranker = createTransformersReranker({ ...OFFLINE, model: TINY_EMBEDDER });
    const error = await failure(reranker.rerank({ query: 'registers', texts: ['32 registers'] }));
    expect(InvalidResponseError.isInstance(error)).toBe(true);
    expect(error.message).toContain('one relevance logit per pair');
    await reranker.dispose();
  });
});
