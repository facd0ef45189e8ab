import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '@ragbridge/config-profiles';
import { createRuntime } from '@ragbridge/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { UsageError } from './commands.js';
import { runCli } from './main.js';
import { pricesCommand, pricesFileName } from './prices-command.js';

// Imported lazily, as compare --fake-services does (the test kit is a dev dependency of the CLI).
const { fetchToFake, startFakeHf } = await import('@ragbridge/testkit');
type FakeServer = Awaited<ReturnType<typeof startFakeHf>>;

const TOKEN = 'hf_pricesTestToken_0123456789abcdef';
const GPT = 'openai/gpt-oss-20b';

describe('ragbridge prices update', () => {
  let hf: FakeServer;
  beforeAll(async () => {
    // The router lists two providers of the built-in profiles' chat model; nebius serves Llama without a price.
    hf = await startFakeHf({ token: TOKEN, routerPrices: { [GPT]: { groq: { input: 1, output: 2 }, together: { input: 3, output: 4 } } } });
  });
  afterAll(async () => {
    await hf.close();
  });

  it("writes the router's per-provider prices to a dated file, then says what changed the next day", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-prices-'));
    const out = sink();
    const day = (iso: string) => () => new Date(iso);
    expect(await pricesCommand('update', { out: dir, fetch: fetchToFake(hf.url), now: day('2026-12-01T10:00:00Z'), stdout: out.stream })).toBe(0);
    const [request] = hf.requestsTo('router.models');
    expect(request).toMatchObject({ method: 'GET', path: '/v1/models' });
    // The listing is public: no token goes with it.
    expect(request?.headers.authorization).toBeUndefined();

    const file = join(dir, pricesFileName('2026-12-01'));
    const table = JSON.parse(readFileSync(file, 'utf8')) as { asOf: string; source: string; prices: unknown[] };
    expect(table.asOf).toBe('2026-12-01');
    expect(table.source).toMatch(/router\.huggingface\.co\/v1\/models.*2026-12-01/);
    expect(table.prices).toEqual([
      expect.objectContaining({ backend: 'hf-inference-providers', modelId: GPT, provider: 'groq', inputPerMillion: 1, outputPerMillion: 2 }),
      expect.objectContaining({ modelId: GPT, provider: 'together', inputPerMillion: 3, outputPerMillion: 4 }),
    ]);
    expect(out.text()).toContain(`2 prices of 1 models (of 3 listed) from 2 providers, as of 2026-12-01`);
    expect(out.text()).toContain(`prices:\n    file: ${file}`);

    // A day later, groq's price has changed and a Qwen price appeared.
    const next = await startFakeHf({ routerPrices: { [GPT]: { groq: { input: 1.5, output: 2 }, together: { input: 3, output: 4 } }, 'Qwen/Qwen2.5-7B-Instruct': { together: { input: 0.3, output: 0.3 } } } });
    try {
      const later = sink();
      await pricesCommand('update', { out: dir, fetch: fetchToFake(next.url), now: day('2026-12-02T08:00:00Z'), stdout: later.stream });
      expect(later.text()).toContain('Since 2026-12-01 (hf-router-prices-2026-12-01.json): 1 new, 1 changed, 0 gone.');
    } finally {
      await next.close();
    }
  });

  it('the configuration points at the file, and a :fastest answer is priced by the provider that served it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-prices-'));
    await pricesCommand('update', { out: dir, fetch: fetchToFake(hf.url), now: () => new Date('2026-12-01T00:00:00Z'), stdout: sink().stream });
    const file = join(dir, pricesFileName('2026-12-01'));
    writeFileSync(
      join(dir, 'ragbridge.yaml'),
      `models:\n  answer:\n    chain:\n      - backend: hf-inference\n        model: ${GPT}:fastest\nprices:\n  file: ${file}\n`,
    );
    const env = { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' };
    const config = await resolveConfig({ profile: 'hf-spaces', cwd: dir, env });
    const runtime = await createRuntime({ config, env, fetch: fetchToFake(hf.url), baseDir: dir, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: { warn: () => undefined, info: () => undefined } });
    try {
      expect(runtime.monitor.prices.table).toMatchObject({ asOf: '2026-12-01' });
      const reply = await runtime.models.chatModel?.generate({ messages: [{ role: 'user', content: 'Sources:\n[1] RV32I has 32 registers.\n\nQuestion: how many registers?' }], maxTokens: 64 });
      // The fake router serves `:fastest` with the model's first provider, groq, and says so in x-inference-provider.
      expect(reply?.usage.provider).toBe('groq');
      const usage = reply?.usage;
      expect(usage?.costUsd).toBeCloseTo(((usage?.inputTokens ?? 0) * 1 + (usage?.outputTokens ?? 0) * 2) / 1e6, 12);
      expect((await runtime.monitor.ledger.query({ operation: 'chat' }))[0]).toMatchObject({ provider: 'groq', priceState: 'priced' });
    } finally {
      await runtime.close();
    }
  });

  it('says what went wrong when the listing cannot be read, and refuses wrong usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-prices-'));
    const unreachable: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(pricesCommand('update', { out: dir, fetch: unreachable })).rejects.toThrow(/Could not read the model listing at https:\/\/router\.huggingface\.co\/v1\/models: fetch failed/);
    const failing: typeof fetch = async () => new Response('upstream error', { status: 502 });
    await expect(pricesCommand('update', { out: dir, fetch: failing })).rejects.toThrow(/answered HTTP 502: upstream error/);
    await expect(pricesCommand('update', { out: dir, fetch: async () => Response.json({ models: [] }) })).rejects.toThrow(/not in the expected format/);
    await expect(pricesCommand(undefined)).rejects.toBeInstanceOf(UsageError);
    const err = sink();
    expect(await runCli(['prices', 'refresh'], { err: err.stream })).toBe(2);
    expect(err.text()).toBe('ragbridge: prices: unknown action "refresh"; run ragbridge prices update\n');
  });

  it('reads a router elsewhere with --router, and from the fake service with --fake-services', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-prices-'));
    const other = await startFakeHf();
    try {
      await pricesCommand('update', { out: dir, router: `${other.url}/`, now: () => new Date('2026-12-03T00:00:00Z'), stdout: sink().stream });
      expect(other.requestsTo('router.models')).toHaveLength(1);
    } finally {
      await other.close();
    }
    const out = sink();
    await pricesCommand('update', { out: dir, fakeServices: true, now: () => new Date('2026-12-04T00:00:00Z'), stdout: out.stream });
    expect(out.text()).toMatch(/^4 prices of 3 models \(of 3 listed\) from 2 providers, as of 2026-12-04/);
  });
});
