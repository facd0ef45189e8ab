import { resolveConfig } from '@ragbridge/config-profiles';
import { startFakeHf, type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchToFakeHf, forbiddenFetch, memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

const ENV_TOKEN = 'hf_EnvironmentSecretToken4242';
const CONFIG_TOKEN = 'sk-ConfigStepSecret-7f3a9c1e';

describe('secrets never reach explain(), errors or logs', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let hf: FakeServer;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    corpus = await writeCorpus();
    // The fake accepts another token, so every hosted call fails with the real 401.
    hf = await startFakeHf({ token: 'hf_TheOnlyTokenTheFakeAccepts1' });
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    vi.unstubAllGlobals();
    await hf.close();
    await corpus.cleanup();
  });

  it('with HF_TOKEN set and a token in the configuration', async () => {
    const env = { HF_TOKEN: ENV_TOKEN, HF_HUB_OFFLINE: '1' };
    const toFake = fetchToFakeHf(hf.url);
    vi.stubGlobal('fetch', forbiddenFetch());
    const logger = memoryLogger();
    const events: unknown[] = [];
    const config = await resolveConfig({
      profile: 'hf-spaces',
      cwd: corpus.dir,
      env,
      overrides: { models: { answer: { chain: [{ backend: 'hf-inference', model: 'meta-llama/Llama-3.1-8B-Instruct', token: CONFIG_TOKEN }] } } },
    });
    runtime = await createRuntime({ config, env, fetch: toFake, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger, onResilienceEvent: (e) => events.push(e) });

    await runtime.pipeline.ingest([corpus.pdf], { workers: 0 });
    const { answer } = await runtime.pipeline.ask('Which register is hardwired to the constant zero?');
    expect(answer.mode).toBe('extractive');
    // The environment token was sent (and refused); the configuration's was refused before sending (not an hf_ token).
    expect(hf.requestsTo('hf-inference.pipeline')[0]?.headers.authorization).toBe(`Bearer ${ENV_TOKEN}`);
    expect(hf.requestsTo('router.chat')).toEqual([]);

    let thrown: unknown;
    try {
      await runtime.pipeline.indexVectors();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'AuthenticationError' });

    const explanation = runtime.explain();
    expect(explanation.config.models.answer.chain[0]).toMatchObject({ token: '[redacted]' });
    const surfaces = {
      explain: JSON.stringify(explanation),
      explainText: explanation.text,
      logs: logger.lines.join('\n'),
      error: [String(thrown), (thrown as Error).stack, JSON.stringify(thrown), (thrown as { responseBody?: string }).responseBody].join('\n'),
      events: events.map((e) => JSON.stringify(e, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message} ${String((v as { responseBody?: unknown }).responseBody)}` : v))).join('\n'),
      ledger: JSON.stringify(await runtime.monitor.ledger.query()),
      parts: JSON.stringify(runtime.parts()),
    };
    expect(logger.lines.some((l) => l.includes('AuthenticationError'))).toBe(true);
    for (const [where, text] of Object.entries(surfaces)) {
      expect(text.includes(ENV_TOKEN), `${where} holds HF_TOKEN`).toBe(false);
      expect(text.includes(CONFIG_TOKEN), `${where} holds the configuration token`).toBe(false);
    }
  });
});
