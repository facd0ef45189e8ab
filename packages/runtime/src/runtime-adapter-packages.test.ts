import { resolveConfig } from '@ragbridge/config-profiles';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import { loadAdapterModules } from './internal/adapter-modules.js';
import { adapterPackagesOf, type AdapterPackage } from './internal/adapter-packages.js';
import type { Runtime } from './runtime-types.js';

/** An importer for an install without `absent`: Node's own error for a package that is not there. */
function without(...absent: AdapterPackage[]) {
  const imported: string[] = [];
  const importer = async (name: AdapterPackage): Promise<unknown> => {
    imported.push(name);
    if (absent.includes(name)) {
      throw Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/@ragbridge/runtime/dist/internal/adapter-modules.js`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    }
    return import(name);
  };
  return { importer, imported };
}

describe('adapter packages are optional peers, imported when a profile names them', () => {
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

  it('offline imports Transformers.js only; hf-spaces the HF client and Transformers.js (its local reranker fallback); keyword retrieval skips the embedder chain', async () => {
    const offline = await resolveConfig({ profile: 'offline', cwd: corpus.dir, env: {} });
    expect(adapterPackagesOf(offline.config)).toEqual(['@ragbridge/adapter-transformersjs']);
    expect(adapterPackagesOf({ ...offline.config, retrieval: { ...offline.config.retrieval, mode: 'keyword' } })).toEqual(['@ragbridge/adapter-transformersjs']);
    const spaces = await resolveConfig({ profile: 'hf-spaces', cwd: corpus.dir, env: { HF_TOKEN: 'hf_x' } });
    expect(adapterPackagesOf(spaces.config).sort()).toEqual(['@ragbridge/adapter-hf', '@ragbridge/adapter-transformersjs']);
    const { importer, imported } = without();
    await loadAdapterModules(offline.config, {}, importer);
    expect(imported).toEqual(['@ragbridge/adapter-transformersjs']);
  });

  it('a missing package of an answer or reranker step: the step is passed over, parts() and the log say what to install', async () => {
    const env = { OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' };
    const logger = memoryLogger();
    const { importer } = without('@ragbridge/adapter-ollama', '@ragbridge/adapter-transformersjs');
    const config = await resolveConfig({ profile: 'local', cwd: corpus.dir, env, overrides: { retrieval: { mode: 'keyword' } } });
    runtime = await createRuntime({ config, env, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger, importAdapter: importer });
    const warnings = logger.lines.filter((l) => l.includes('is not installed'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warn: models\.answer\.chain\[0\]\.backend: @ragbridge\/adapter-ollama is not installed \(npm install @ragbridge\/adapter-ollama\); the answer chain passes over its step 0 \(ollama /),
      expect.stringMatching(/models\.reranker\.chain\[0\]\.backend: @ragbridge\/adapter-transformersjs is not installed/),
    ]);
    await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    const { answer } = await runtime.pipeline.ask('What does the funct3 field select?');
    // Answered by the extractive last step, with no call to Ollama and no error counted.
    expect(answer.mode).toBe('extractive');
    expect(ollama.requestsTo('ollama.chat')).toHaveLength(0);
    const [answerPart, , reranker] = runtime.parts();
    expect(answerPart?.steps[0]).toMatchObject({ backend: 'ollama', unavailable: '@ragbridge/adapter-ollama is not installed (npm install @ragbridge/adapter-ollama)' });
    expect(reranker?.steps[0]?.unavailable).toBe('@ragbridge/adapter-transformersjs is not installed (npm install @ragbridge/adapter-transformersjs)');
    // The install command once per line, never repeated as a hint after the reason.
    for (const line of logger.lines) expect(line.match(/npm install @ragbridge\/adapter-\w+/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    const unavailable = await runtime.models.chatModel?.generate({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    if (unavailable instanceof Error) expect(unavailable.message.match(/npm install/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('no package for the embedder chain: keyword retrieval, and parts() says what to install', async () => {
    const env = { OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' };
    const logger = memoryLogger();
    const { importer } = without('@ragbridge/adapter-transformersjs');
    const config = await resolveConfig({ profile: 'local', cwd: corpus.dir, env });
    runtime = await createRuntime({ config, env, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger, importAdapter: importer });
    expect(runtime.parts()[1]?.steps).toEqual([
      expect.objectContaining({ backend: 'transformersjs', unavailable: '@ragbridge/adapter-transformersjs is not installed (npm install @ragbridge/adapter-transformersjs)' }),
      expect.objectContaining({ backend: 'keyword' }),
    ]);
    expect(logger.lines).toContainEqual(expect.stringMatching(/models\.embedder\.chain\[0\]\.backend: @ragbridge\/adapter-transformersjs is not installed .*; retrieval is keyword-only/));
    await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    const { retrieval } = await runtime.pipeline.ask('What does the funct3 field select?');
    expect(retrieval.hits.length).toBeGreaterThan(0);
    expect(retrieval.hits.every((h) => h.reason === 'keyword')).toBe(true);
  });

  it('a package that is installed but fails to load is not mistaken for a missing one', async () => {
    const config = await resolveConfig({ profile: 'local', cwd: corpus.dir, env: {} });
    const broken = async (): Promise<unknown> => {
      throw Object.assign(new Error("Cannot find package 'onnxruntime-node' imported from /x/adapter-transformersjs/dist/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await expect(loadAdapterModules(config.config, {}, broken)).rejects.toThrow(/onnxruntime-node/);
  });
});
