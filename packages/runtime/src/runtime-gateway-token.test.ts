import { resolveConfig } from '@ragbridge/config-profiles';
import { startFakeHf, type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

const ENV_TOKEN = 'hf_EnvironmentSecretToken4242';

// A router gateway that is not Hugging Face's (`options.routerUrl`) never receives HF_TOKEN: the
// adapter gets the token as a function and cannot tell where it came from, so the runtime decides.
describe('hf-inference steps with a routerUrl elsewhere', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let gateway: FakeServer;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    corpus = await writeCorpus();
    gateway = await startFakeHf();
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await gateway.close();
    await corpus.cleanup();
  });

  async function askThroughGateway(step: Record<string, unknown>) {
    const env = { HF_TOKEN: ENV_TOKEN, HF_HUB_OFFLINE: '1' };
    const config = await resolveConfig({
      profile: 'local',
      cwd: corpus.dir,
      env,
      overrides: { retrieval: { mode: 'keyword' }, models: { answer: { chain: [{ backend: 'hf-inference', model: 'Qwen/Qwen2.5-7B-Instruct', options: { routerUrl: gateway.url }, ...step }] } } },
    });
    runtime = await createRuntime({ config, env, storePath: ':memory:', ledgerPath: ':memory:', logger: memoryLogger() });
    await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    await runtime.pipeline.ask('Which register is hardwired to the constant zero?');
    const [chat] = gateway.requestsTo('router.chat');
    expect(chat, 'the answer step called the gateway').toBeDefined();
    return chat?.headers.authorization;
  }

  it('sends no HF_TOKEN to the gateway', async () => {
    const authorization = await askThroughGateway({});
    expect(authorization ?? '').not.toContain(ENV_TOKEN);
  });

  it("sends the step's own token to it", async () => {
    expect(await askThroughGateway({ token: 'gw-key-123' })).toBe('Bearer gw-key-123');
  });
});
