import { resolveConfig } from '@ragbridge/config-profiles';
import { DEFAULT_FAKE_HF_MODELS, type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLogger, writeCorpus, openFakeHf, closeFakeHf } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

const TOKEN = 'hf_RuntimeWarmUpToken0123456789';
const ENV = { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' };
const RERANKER = 'cross-encoder/ms-marco-MiniLM-L6-v2';

describe('warmUpColdModels: a cold hosted model is loaded in the background after its chain fell back', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let hf: FakeServer;
  let runtime: Runtime | undefined;
  let toFake: typeof fetch;
  beforeEach(async () => {
    // The reranker is cold: 503 "loading" (20 s, longer than the retry layer waits) until a request waits for it.
    const models = DEFAULT_FAKE_HF_MODELS.map((m) => (m.id === RERANKER ? { ...m, cold: { estimatedTimeS: 20, loadMs: 50 } } : m));
    ({ corpus, hf, toFake } = await openFakeHf({ token: TOKEN, models }));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await closeFakeHf({ corpus, hf, toFake });
  });

  async function start(warmUpColdModels: boolean) {
    const logger = memoryLogger();
    const config = await resolveConfig({ profile: 'hf-spaces', cwd: corpus.dir, env: ENV });
    runtime = await createRuntime({ config, env: ENV, fetch: toFake, baseDir: corpus.dir, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger, warmUpColdModels });
    await runtime.pipeline.ingest([corpus.pdf], { workers: 0 });
    return { rt: runtime, logger };
  }

  const rerankCalls = () => hf.requestsTo('hf-inference.classification');

  it('on: the first question falls back at once, one warm-up loads the model, the next question is reranked by it; logged and recorded', async () => {
    const { rt, logger } = await start(true);
    const first = await rt.pipeline.ask('Which register is hardwired to the constant zero?');
    expect(first.answer.usage.find((u) => u.operation === 'rerank')?.fallbackStep).toBeGreaterThan(0);
    await vi.waitFor(() => expect(logger.lines.some((l) => l.includes(`"${RERANKER}" is loaded`))).toBe(true), { timeout: 5_000 });
    const warmUps = rerankCalls().filter((r) => r.headers['x-wait-for-model'] === 'true');
    expect(warmUps).toHaveLength(1);
    const second = await rt.pipeline.ask('Which register is hardwired to the constant zero?');
    expect(second.answer.usage.find((u) => u.operation === 'rerank')).toMatchObject({ modelId: RERANKER, fallbackStep: 0 });
    // The warm-up request's usage is in the ledger beside the questions' calls.
    const rows = await rt.monitor.ledger.query({});
    expect(rows.filter((r) => r.operation === 'rerank' && r.modelId === RERANKER && r.status === 'ok').length).toBeGreaterThanOrEqual(2);
  });

  it('off (the default, for one-shot commands): no background request, the model stays cold', async () => {
    const { rt } = await start(false);
    await rt.pipeline.ask('Which register is hardwired to the constant zero?');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rerankCalls().filter((r) => r.headers['x-wait-for-model'] === 'true')).toHaveLength(0);
  });
});
