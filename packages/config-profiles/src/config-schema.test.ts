import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from './built-in-profiles.js';
import { ConfigError } from './config-error.js';
import { PART_BACKENDS, REMOTE_BACKENDS } from './config-schema.js';
import { getBuiltInProfile, validateConfig } from './resolve-config.js';

function issuesOf(input: unknown): string[] {
  try {
    validateConfig(input, 'test.yaml');
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('the configuration was accepted');
}

describe('built-in profiles', () => {
  it.each(PROFILE_NAMES)('%s validates, and its answer chain ends in extractive', (name) => {
    const config = getBuiltInProfile(name);
    expect(config.profile).toBe(name);
    expect(config.models.answer.chain.at(-1)).toEqual({ backend: 'extractive', local: true });
    for (const part of ['answer', 'embedder', 'reranker'] as const) {
      for (const step of config.models[part].chain) expect(PART_BACKENDS[part]).toContain(step.backend);
    }
  });

  it('local: Ollama answers, Transformers.js embedder and reranker, one call at a time each', () => {
    const { models, resilience } = getBuiltInProfile('local');
    expect(models.answer.chain.map((s) => s.backend)).toEqual(['ollama', 'extractive']);
    expect(models.embedder.chain.map((s) => s.backend)).toEqual(['transformersjs']);
    expect(models.reranker.chain.map((s) => s.backend)).toEqual(['transformersjs']);
    expect(resilience.concurrency).toEqual({ ollama: 1, transformersjs: 1 });
    expect([...models.answer.chain, ...models.embedder.chain, ...models.reranker.chain].every((s) => s.local)).toBe(true);
  });

  it('hf-spaces: hosted answers and embeddings, hosted then local reranker, sized for 2 CPUs, on 0.0.0.0:7860', () => {
    const config = getBuiltInProfile('hf-spaces');
    expect(config.models.answer.chain.map((s) => `${s.backend}${s.local ? '' : ' (remote)'}`)).toEqual(['hf-inference (remote)', 'extractive']);
    expect(config.models.embedder.chain.map((s) => s.backend)).toEqual(['hf-inference']);
    expect(config.models.reranker.chain.map((s) => s.backend)).toEqual(['hf-inference', 'transformersjs']);
    expect(config.models.reranker.chain[1]).toMatchObject({ options: { threads: 2, dtype: 'q8' } });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 7860, maxConcurrentRequests: 4 });
    expect(config.resilience.concurrency.transformersjs).toBe(1);
    // Hosted tokens are paid: the prompt of an answer is bounded.
    expect(config.budgets.tokens).toEqual({ maxContext: 3_000 });
  });

  it.each(PROFILE_NAMES)('%s keeps its embedding cache on disk next to its store, so vectors survive a restart', (name) => {
    const config = getBuiltInProfile(name);
    const folder = (path: string): string => path.slice(0, path.lastIndexOf('/'));
    expect(config.caches.embeddings).toMatchObject({ enabled: true, path: expect.stringMatching(/embeddings\.db$/) });
    expect(config.storage.kind).toBe('sqlite');
    expect(folder(config.caches.embeddings.path ?? '')).toBe(folder(config.storage.kind === 'sqlite' ? config.storage.path : ''));
  });

  it('profiles whose answers come from Ollama keep prompts within its usual 2,048-token context', () => {
    expect(getBuiltInProfile('local').budgets.tokens).toEqual({ maxOutput: 384, maxContext: 1_500 });
    expect(getBuiltInProfile('hybrid').budgets.tokens).toEqual({ maxContext: 1_500 });
  });

  it('hybrid: hosted answers with a local fallback, local embeddings', () => {
    const { models } = getBuiltInProfile('hybrid');
    expect(models.answer.chain.map((s) => [s.backend, s.local])).toEqual([
      ['hf-inference', false],
      ['ollama', true],
      ['extractive', true],
    ]);
    expect(models.embedder.chain.every((s) => s.local)).toBe(true);
  });

  it('offline: no network step, cached Transformers.js models only, extractive answers', () => {
    const config = getBuiltInProfile('offline');
    expect(config.offline).toBe(true);
    expect(config.models.answer.chain.map((s) => s.backend)).toEqual(['extractive']);
    const steps = [...config.models.embedder.chain, ...config.models.reranker.chain];
    expect(steps.some((s) => (REMOTE_BACKENDS as readonly string[]).includes(s.backend))).toBe(false);
    for (const step of steps) expect(step).toMatchObject({ backend: 'transformersjs', options: { allowRemoteModels: false } });
  });
});

describe('configSchema errors point at the exact field and say what is allowed', () => {
  it('names an unknown backend with the allowed ones', () => {
    expect(issuesOf({ models: { reranker: { chain: [{ backend: 'transformersjs', model: 'm' }, { backend: 'tei', model: 'x' }] } } })).toEqual([
      'models.reranker.chain[1].backend: expected one of hf-tei, hf-inference, transformersjs, got "tei"',
    ]);
  });

  it('lists the allowed keys for an unknown one, and says the source', () => {
    let error: ConfigError | undefined;
    try {
      validateConfig({ models: { answer: { chain: [{ backend: 'ollama', model: 'llama3.2:3b', endpont: 'http://gpu:11434' }] } } }, 'ragbridge.yaml');
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.issues).toEqual([
      {
        path: 'models.answer.chain[0]',
        message: 'unknown key "endpont" (allowed: backend, model, endpoint, options, local, key, timeoutMs, streamIdleTimeoutMs, totalTimeoutMs, retry)',
        source: 'ragbridge.yaml',
      },
    ]);
    expect(error?.message).toContain('models.answer.chain[0]: unknown key "endpont"');
  });

  it("leaves a step's options to its adapter's schema: an object is all it asks for", () => {
    expect(issuesOf({ models: { answer: { chain: [{ backend: 'ollama', model: 'm', options: 'fast' }] } } })).toEqual([
      'models.answer.chain[0].options: expected record, got "fast"',
    ]);
    expect(validateConfig({ models: { answer: { chain: [{ backend: 'ollama', model: 'm', options: { numCtx: 8192 } }] } } }).models.answer.chain[0]).toMatchObject({
      options: { numCtx: 8192 },
    });
  });

  it('says what type and range were expected and what came', () => {
    expect(issuesOf({ server: { port: '80a' }, retrieval: { mode: 'dense', k: 0 }, models: { embedder: { chain: [{ backend: 'hf-tei', model: 'm' }] } } })).toEqual([
      'models.embedder.chain[0].endpoint: is required (string)',
      'retrieval.mode: expected one of hybrid, keyword, got "dense"',
      'retrieval.k: must be >0, got 0',
      'server.port: expected number, got "80a"',
    ]);
  });

  it('keeps extractive last, and adds it when a chain lacks it', () => {
    expect(issuesOf({ models: { answer: { chain: [{ backend: 'extractive' }, { backend: 'ollama', model: 'm' }] } } })).toEqual([
      'models.answer.chain[0].backend: "extractive" always answers, so it must be the last step (steps after it would never run)',
    ]);
    const config = validateConfig({ models: { answer: { chain: [{ backend: 'ollama', model: 'm' }] } } });
    expect(config.models.answer.chain.map((s) => s.backend)).toEqual(['ollama', 'extractive']);
  });

  it('refuses an embedder chain that mixes models', () => {
    const [issue] = issuesOf({
      models: {
        embedder: {
          chain: [
            { backend: 'hf-inference', model: 'BAAI/bge-small-en-v1.5' },
            { backend: 'transformersjs', model: 'Xenova/bge-small-en-v1.5' },
          ],
        },
      },
    });
    expect(issue).toMatch(/^models\.embedder\.chain\[1\]: an embedder falls back only to the same model identity/);
    expect(issue).toContain('step 0 is hf-inference "BAAI/bge-small-en-v1.5", this step is transformersjs "Xenova/bge-small-en-v1.5"');
    const sameModel = { backend: 'hf-tei' as const, model: 'BAAI/bge-small-en-v1.5' };
    expect(() =>
      validateConfig({ models: { embedder: { chain: [{ ...sameModel, endpoint: 'http://a:8080' }, { ...sameModel, endpoint: 'http://b:8080' }] } } }),
    ).not.toThrow();
    expect(issuesOf({ models: { embedder: { chain: [{ ...sameModel, endpoint: 'http://a' }, { ...sameModel, endpoint: 'http://b', options: { queryPrefix: 'q: ' } }] } } })[0]).toContain(
      'with other identity options',
    );
  });

  it('refuses network steps and downloads when offline', () => {
    expect(
      issuesOf({
        offline: true,
        models: {
          answer: { chain: [{ backend: 'hf-inference', model: 'm' }] },
          embedder: { chain: [{ backend: 'transformersjs', model: 'e', options: { allowRemoteModels: true } }] },
        },
      }),
    ).toEqual([
      'models.answer.chain[0].backend: "hf-inference" needs the network, but offline is true',
      'models.embedder.chain[0].options.allowRemoteModels: must not be true when offline is true (models must already be cached)',
    ]);
  });

  it('never repeats a secret value in an error', () => {
    const secret = 'hf_neverShowThisValue12345';
    let message = '';
    try {
      validateConfig({ alerts: { webhook: { url: `hooks.example/${secret}` } }, server: { apiKey: 42 } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('alerts.webhook.url: must be an http(s) URL');
    expect(message).toContain('server.apiKey (secret): expected string, got 42');
    expect(message).not.toContain(secret);
  });

  it('fills defaults and the local flag of each step', () => {
    const config = validateConfig({ models: { answer: { chain: [{ backend: 'hf-inference', model: 'm' }, { backend: 'ollama', model: 'o', local: false }] } } });
    expect(config.models.answer.chain.map((s) => s.local)).toEqual([false, false, true]);
    // Settings the pipeline, resilience layer and cost monitor own stay unset, so their defaults apply.
    expect(config.retrieval).toEqual({ mode: 'hybrid' });
    expect(config.resilience).toEqual({ timeoutMs: 60_000, streamIdleTimeoutMs: 30_000, concurrency: {} });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 3000, trustProxy: false });
  });

  it('budgets.limits: dollars or tokens, for everyone or one client of server.clients', () => {
    const clients = [{ id: 'alice', apiKey: 'alice-key-0123456789' }, { id: 'bob', apiKey: 'bob-key-0123456789ab', maxOutputTokens: 200 }];
    const config = validateConfig({
      server: { clients },
      budgets: { limits: [{ window: 'day', limitUsd: 1, caller: 'alice' }, { window: 'month', limitTokens: 100_000, caller: 'bob', mode: 'block' }], tokens: { maxOutput: 400 } },
    });
    expect(config.budgets.limits).toEqual([
      { window: 'day', limitUsd: 1, caller: 'alice', mode: 'downgrade' },
      { window: 'month', limitTokens: 100_000, caller: 'bob', mode: 'block' },
    ]);
    expect(issuesOf({ budgets: { limits: [{ window: 'day' }] } })).toEqual(['budgets.limits[0]: give exactly one of limitUsd and limitTokens']);
    expect(issuesOf({ budgets: { limits: [{ window: 'day', limitUsd: 1, limitTokens: 5 }] } })).toEqual(['budgets.limits[0]: give exactly one of limitUsd and limitTokens']);
    expect(issuesOf({ server: { clients }, budgets: { limits: [{ window: 'day', limitUsd: 1, caller: 'carol' }] } })).toEqual([
      'budgets.limits[0].caller: no client "carol" in server.clients (clients: alice, bob)',
    ]);
    expect(issuesOf({ server: { clients: [...clients, { id: 'alice', apiKey: 'bob-key-0123456789ab' }] } })).toEqual([
      'server.clients[2].id: "alice" names two clients',
      'server.clients[2].apiKey: the same key is given twice: each client needs its own',
    ]);
    const short = issuesOf({ server: { clients: [{ id: 'x', apiKey: 'short-secret' }] } }).join('\n');
    expect(short).toMatch(/server\.clients\[0\]\.apiKey.*: use a key of at least 16 characters/);
    expect(short).not.toContain('short-secret');
  });

  it('server.trustProxy: false, a number of proxy hops, or a list of proxy addresses and CIDRs', () => {
    expect(validateConfig({ server: { trustProxy: 1 } }).server.trustProxy).toBe(1);
    expect(validateConfig({ server: { trustProxy: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7', '::1'] } }).server.trustProxy).toHaveLength(4);
    for (const wrong of [true, 0, 1.5, 'yes', [], ['10.0.0.0/33'], ['proxy.internal']]) {
      expect(issuesOf({ server: { trustProxy: wrong } }).join('\n'), JSON.stringify(wrong)).toMatch(/^server\.trustProxy: /);
    }
    expect(issuesOf({ server: { trustProxy: ['proxy.internal'] } })).toEqual(['server.trustProxy: does not match any allowed form, got a list of 1']);
    expect(issuesOf({ server: { trustProxy: 0 } })).toEqual(['server.trustProxy: must be >=1, got 0']);
  });
});

describe('storage: SQLite or PostgreSQL, told apart by kind', () => {
  const url = 'postgres://rag:s3cret-pw@db.internal:5432/rag';

  it('is SQLite when kind is left out, as ragbridge.yaml files written before PostgreSQL say it', () => {
    expect(validateConfig({}).storage).toEqual({ kind: 'sqlite', path: '.ragbridge/index.db' });
    expect(validateConfig({ storage: { path: 'data/docs.db' } }).storage).toEqual({ kind: 'sqlite', path: 'data/docs.db' });
    expect(validateConfig({ storage: { kind: 'sqlite' } }).storage).toEqual({ kind: 'sqlite', path: '.ragbridge/index.db' });
    // The ledger stays a SQLite file beside it.
    expect(validateConfig({}).budgets.ledger).toBe('.ragbridge/usage.db');
  });

  it('PostgreSQL: url, and the store package’s defaults left unset', () => {
    const config = validateConfig({ storage: { kind: 'postgres', url } });
    expect(config.storage).toEqual({ kind: 'postgres', url });
    const tuned = validateConfig({ storage: { kind: 'postgres', url, schema: 'docs_eu', maxConnections: 4, efSearch: 80, hnsw: { m: 32, efConstruction: 200 } } });
    expect(tuned.storage).toEqual({ kind: 'postgres', url, schema: 'docs_eu', maxConnections: 4, efSearch: 80, hnsw: { m: 32, efConstruction: 200 } });
  });

  it('PostgreSQL: the ledger and the embedding cache live in the same database unless a file is named', () => {
    const shared = validateConfig({ storage: { kind: 'postgres', url } });
    expect(shared.budgets.ledger).toBeUndefined();
    expect(shared.caches.embeddings.path).toBeUndefined();
    const own = validateConfig({ storage: { kind: 'postgres', url }, budgets: { ledger: 'usage.db' }, caches: { embeddings: { path: 'cache.db' } } });
    expect([own.budgets.ledger, own.caches.embeddings.path]).toEqual(['usage.db', 'cache.db']);
  });

  it('names what is wrong: the kind, a missing or non-PostgreSQL url, a SQLite field in a PostgreSQL section', () => {
    expect(issuesOf({ storage: { kind: 'mysql' } })).toEqual(['storage.kind: expected one of sqlite, postgres, got "mysql"']);
    expect(issuesOf({ storage: { kind: 'postgres' } })).toEqual(['storage.url: is required (string)']);
    expect(issuesOf({ storage: { kind: 'postgres', url: 'mysql://db/rag' } })).toEqual(['storage.url: must be a postgres:// or postgresql:// URL']);
    expect(issuesOf({ storage: { kind: 'postgres', url, path: 'x.db' } })).toEqual(['storage: unknown key "path" (allowed: kind, url, schema, maxConnections, efSearch, hnsw)']);
    expect(issuesOf({ storage: { kind: 'postgres', url, hnsw: { m: 32, ef: 200 } } })).toEqual(['storage.hnsw: unknown key "ef" (allowed: m, efConstruction)']);
    expect(issuesOf({ storage: { kind: 'postgres', url, maxConnections: 0 } })).toEqual(['storage.maxConnections: must be >0, got 0']);
  });
});
