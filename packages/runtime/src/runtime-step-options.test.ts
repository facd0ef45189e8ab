import * as adapterHf from '@ragbridge/adapter-hf';
import * as adapterOllama from '@ragbridge/adapter-ollama';
import * as adapterTransformers from '@ragbridge/adapter-transformersjs';
import { ConfigError, MODEL_PARTS, PART_BACKENDS, PROFILE_NAMES, getBuiltInProfile, resolveConfig, validateStepOptions } from '@ragbridge/config-profiles';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import { loadAdapterModules, stepOptionsSchemas } from './internal/adapter-modules.js';
import type { Runtime } from './runtime-types.js';

describe("a step's options are declared once, by its adapter package", () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let ollama: FakeServer;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    corpus = await writeCorpus();
    ollama = await startFakeOllama();
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await ollama.close();
    await corpus.cleanup();
  });

  it('every backend of every part has its adapter package\'s step-options schema', async () => {
    const config = getBuiltInProfile('offline');
    const everyAdapter = { ...config, models: { answer: { chain: [] }, embedder: { chain: [] }, reranker: { chain: [] } } };
    const modules = { '@ragbridge/adapter-hf': adapterHf, '@ragbridge/adapter-ollama': adapterOllama, '@ragbridge/adapter-transformersjs': adapterTransformers };
    const schemaOf = stepOptionsSchemas((await loadAdapterModules(everyAdapter, modules)).modules);
    for (const part of MODEL_PARTS) {
      for (const backend of PART_BACKENDS[part]) if (backend !== 'extractive') expect(schemaOf(part, backend), `${part}/${backend}`).toBeDefined();
    }
  });

  it("every built-in profile's step options pass its adapters' schemas", async () => {
    for (const name of PROFILE_NAMES) {
      const config = getBuiltInProfile(name);
      const { modules, missing } = await loadAdapterModules(config);
      expect(missing, name).toEqual([]);
      expect(() => validateStepOptions(config, stepOptionsSchemas(modules)), name).not.toThrow();
    }
  });

  it('a mistyped option in ragbridge.yaml fails createRuntime naming the field, the adapter\'s allowed options and the file', async () => {
    await writeFile(
      join(corpus.dir, 'ragbridge.yaml'),
      'extends: local\nmodels:\n  answer:\n    chain:\n      - backend: ollama\n        model: llama3.2:3b\n        options: { numContext: 8192 }\n',
    );
    const env = { OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' };
    const config = await resolveConfig({ cwd: corpus.dir, env });
    const error = await createRuntime({ config, env, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ConfigError.isInstance(error)).toBe(true);
    const [issue] = (error as ConfigError).issues;
    expect(issue).toMatchObject({ path: 'models.answer.chain[0].options', source: 'ragbridge.yaml' });
    // The allowed list is the Ollama adapter's own (its raw `options` passthrough included).
    expect(issue?.message).toMatch(/^unknown key "numContext" \(allowed: headers, keepAlive, numCtx, temperature, maxTokens, topP, topK, seed, think, options\)$/);
  });

  it('options reach the adapter as written, with no copy per field in between (Ollama request options)', async () => {
    const env = { OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' };
    const config = await resolveConfig({
      profile: 'local',
      cwd: corpus.dir,
      env,
      overrides: {
        retrieval: { mode: 'keyword' },
        models: { answer: { chain: [{ backend: 'ollama', model: 'llama3.2:3b', options: { numCtx: 4096, seed: 7, topK: 5, options: { repeat_penalty: 1.3 }, headers: { 'x-team': 'docs' } } }] } },
      },
    });
    runtime = await createRuntime({ config, env, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() });
    await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    await runtime.pipeline.ask('What does the funct3 field select?');
    const [chat] = ollama.requestsTo('ollama.chat');
    expect(chat?.json).toMatchObject({ model: 'llama3.2:3b', options: { num_ctx: 4096, seed: 7, top_k: 5, repeat_penalty: 1.3 } });
    expect(chat?.headers['x-team']).toBe('docs');
  });
});
