import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config-error.js';
import { resolveConfig, type ResolveConfigOptions } from './resolve-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ragbridge-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Detection must not find a real Ollama on this machine: point the probe at nothing. */
const noOllama = vi.fn<typeof fetch>(() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })));

function resolveIn(options: ResolveConfigOptions = {}) {
  return resolveConfig({ cwd: dir, env: {}, fetch: noOllama, ...options });
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.catch((e: unknown) => e);
  expect(ConfigError.isInstance(error)).toBe(true);
  return error as ConfigError;
}

describe('resolveConfig: profile choice', () => {
  it('detects the profile when nothing says otherwise', async () => {
    const resolved = await resolveIn({ env: { SPACE_ID: 'org/space' } });
    expect(resolved.profile).toBe('hf-spaces');
    expect(resolved.reason).toBe('detected: SPACE_ID is set (org/space): running on a Hugging Face Space');
    expect(resolved.detection?.checks[0]?.result).toBe('matched');
    expect(resolved.config.server.port).toBe(7860);
  });

  it('ends at offline when detection finds nothing', async () => {
    const resolved = await resolveIn();
    expect(resolved.profile).toBe('offline');
    expect(noOllama).toHaveBeenCalled();
  });

  it('takes the profile option, then RAGBRIDGE_PROFILE, over detection', async () => {
    expect((await resolveIn({ profile: 'local', env: { SPACE_ID: 'x/y' } })).reason).toBe('set by the profile option');
    const byEnv = await resolveIn({ env: { RAGBRIDGE_PROFILE: 'hybrid', SPACE_ID: 'x/y' } });
    expect([byEnv.profile, byEnv.reason, byEnv.detection]).toEqual(['hybrid', 'set by RAGBRIDGE_PROFILE', undefined]);
  });

  it('rejects an unknown RAGBRIDGE_PROFILE, listing the profiles', async () => {
    const error = await configError(resolveIn({ env: { RAGBRIDGE_PROFILE: 'spaces' } }));
    expect(error.issues).toEqual([{ path: 'profile', message: 'expected one of local, hf-spaces, hybrid, offline, got "spaces"', source: 'RAGBRIDGE_PROFILE' }]);
  });
});

describe('resolveConfig: files', () => {
  it('layers a YAML file over the profile it extends, with ${VAR} interpolation', async () => {
    const file = await write(
      'ragbridge.yaml',
      [
        'extends: local',
        'models:',
        '  answer:',
        '    chain:',
        '      - backend: ollama',
        '        model: ${CHAT_MODEL:-qwen2.5:7b}',
        '        endpoint: http://${OLLAMA_ADDR}',
        'server:',
        '  port: ${APP_PORT}',
        '  corsOrigins: ["$${NOT_A_VAR}"]',
        'retrieval:',
        '  k: 8',
      ].join('\n'),
    );
    const resolved = await resolveIn({ file, env: { OLLAMA_ADDR: '10.0.0.2:11434', APP_PORT: '8080' } });
    expect(resolved.profile).toBe('local');
    expect(resolved.reason).toBe('ragbridge.yaml extends "local"');
    expect(resolved.config.models.answer.chain).toEqual([
      { backend: 'ollama', model: 'qwen2.5:7b', endpoint: 'http://10.0.0.2:11434', local: true },
      { backend: 'extractive', local: true },
    ]);
    expect(resolved.config.server.port).toBe(8080);
    expect(resolved.config.server.corsOrigins).toEqual(['${NOT_A_VAR}']);
    expect(resolved.config.retrieval.k).toBe(8);
    expect(resolved.config.models.embedder.chain[0]?.backend).toBe('transformersjs'); // from the profile
    expect(resolved.overrides).toContainEqual({ path: 'retrieval.k', source: 'ragbridge.yaml' });
  });

  it('finds ragbridge.yaml in the working folder', async () => {
    await write('ragbridge.yaml', 'extends: hybrid\nserver:\n  port: 9000\n');
    const resolved = await resolveIn();
    expect([resolved.profile, resolved.config.server.port]).toEqual(['hybrid', 9000]);
    expect(resolved.sources).toEqual([{ kind: 'profile', name: 'hybrid' }, { kind: 'file', path: 'ragbridge.yaml' }]);
  });

  it('reads JSON files, and a file may extend another file', async () => {
    await write('base.json', JSON.stringify({ extends: 'local', retrieval: { k: 4, sources: 3 } }));
    const file = await write('team.yaml', 'extends: ./base.json\nretrieval:\n  k: 6\n');
    const resolved = await resolveIn({ file });
    expect(resolved.profile).toBe('local');
    expect(resolved.config.retrieval).toMatchObject({ k: 6, sources: 3 });
    expect(resolved.sources.map((s) => (s.kind === 'file' ? s.path : s.kind))).toEqual(['profile', 'base.json', 'team.yaml']);
  });

  it('layers a file without extends over the detected profile', async () => {
    const file = await write('ragbridge.yml', 'retrieval:\n  k: 3\n');
    const resolved = await resolveIn({ file, env: { HF_TOKEN: 'hf_abcdefghijk' } });
    expect([resolved.profile, resolved.config.retrieval.k]).toEqual(['hybrid', 3]);
  });

  it('names the field and file of an unset variable', async () => {
    const file = await write('ragbridge.yaml', 'extends: local\nserver:\n  apiKey: ${SERVER_KEY}\n');
    const error = await configError(resolveIn({ file }));
    expect(error.issues).toEqual([
      { path: 'server.apiKey', message: 'environment variable SERVER_KEY is not set (write ${SERVER_KEY:-default} to give a default)', source: 'ragbridge.yaml' },
    ]);
  });

  it('says which file set a wrong value', async () => {
    await write('base.yaml', 'extends: local\nmodels:\n  reranker:\n    chain:\n      - backend: transformersjs\n        model: m\n      - backend: tei\n        model: x\n');
    const file = await write('ragbridge.yaml', 'extends: ./base.yaml\nretrieval:\n  k: 5\n');
    const error = await configError(resolveIn({ file }));
    expect(error.message).toContain('models.reranker.chain[1].backend: expected one of hf-tei, hf-inference, transformersjs, got "tei" (from base.yaml)');
  });

  it('reports YAML syntax errors, missing files, loops and unknown profiles', async () => {
    const broken = await write('broken.yaml', 'server:\n  port: [1, 2\n');
    expect((await configError(resolveIn({ file: broken }))).issues[0]?.message).toMatch(/^YAML syntax error: /);
    expect((await configError(resolveIn({ file: join(dir, 'missing.yaml') }))).issues[0]?.message).toBe(`no such file: ${join(dir, 'missing.yaml')}`);
    await write('a.yaml', 'extends: ./b.yaml\n');
    await write('b.yaml', 'extends: ./a.yaml\n');
    const loop = await configError(resolveIn({ file: 'a.yaml' }));
    expect(loop.issues[0]).toMatchObject({ path: 'extends', message: 'a.yaml → b.yaml → a.yaml' });
    const unknown = await write('c.yaml', 'extends: spaces\n');
    expect((await configError(resolveIn({ file: unknown }))).issues[0]?.message).toBe('expected one of local, hf-spaces, hybrid, offline or a file path, got "spaces"');
  });

  it('warns when an explicit profile overrides the one a file extends', async () => {
    const file = await write('ragbridge.yaml', 'extends: local\n');
    const resolved = await resolveIn({ file, profile: 'offline' });
    expect(resolved.profile).toBe('offline');
    expect(resolved.warnings[0]).toBe('ragbridge.yaml extends "local", but the profile option chose "offline": the file is layered over "offline".');
  });
});

describe('resolveConfig: environment overrides', () => {
  it('applies RAGBRIDGE_* and PORT over the file, and overrides over everything', async () => {
    const file = await write('ragbridge.yaml', 'extends: hybrid\nserver:\n  port: 9000\nretrieval:\n  k: 4\n');
    const resolved = await resolveIn({
      file,
      env: {
        PORT: '7000',
        RAGBRIDGE_RETRIEVAL__K: '12',
        RAGBRIDGE_RETRIEVAL__REFUSAL__MIN_COVERAGE: '0.2',
        RAGBRIDGE_MODELS__ANSWER__CHAIN__1__MODEL: 'qwen2.5:7b',
        RAGBRIDGE_SERVER__CORS_ORIGINS: '["https://a.example"]',
      },
      overrides: { retrieval: { k: 20 } },
    });
    const { config } = resolved;
    expect(config.server.port).toBe(7000);
    expect(config.retrieval.k).toBe(20);
    expect(config.retrieval.refusal?.minCoverage).toBe(0.2);
    expect(config.server.corsOrigins).toEqual(['https://a.example']);
    // Only the model of step 1 changed; the rest of the chain is the profile's.
    expect(config.models.answer.chain.map((s) => ('model' in s ? `${s.backend}:${s.model}` : s.backend))).toEqual([
      'hf-inference:openai/gpt-oss-20b',
      'ollama:qwen2.5:7b',
      'extractive',
    ]);
    expect(resolved.overrides).toEqual([
      { path: 'server.port', source: 'ragbridge.yaml' },
      { path: 'retrieval.k', source: 'ragbridge.yaml' },
      { path: 'server.port', source: 'env PORT' },
      { path: 'models.answer.chain[1].model', source: 'env RAGBRIDGE_MODELS__ANSWER__CHAIN__1__MODEL' },
      { path: 'retrieval.k', source: 'env RAGBRIDGE_RETRIEVAL__K' },
      { path: 'retrieval.refusal.minCoverage', source: 'env RAGBRIDGE_RETRIEVAL__REFUSAL__MIN_COVERAGE' },
      { path: 'server.corsOrigins', source: 'env RAGBRIDGE_SERVER__CORS_ORIGINS' },
      { path: 'retrieval.k', source: 'overrides' },
    ]);
  });

  it('names the variable that set a wrong value', async () => {
    const error = await configError(resolveIn({ profile: 'local', env: { RAGBRIDGE_MODELS__RERANKER__CHAIN__0__BACKEND: 'tei' } }));
    expect(error.issues).toEqual([
      {
        path: 'models.reranker.chain[0].backend',
        message: 'expected one of hf-tei, hf-inference, transformersjs, got "tei"',
        source: 'env RAGBRIDGE_MODELS__RERANKER__CHAIN__0__BACKEND',
      },
    ]);
  });

  it('warns about hosted steps that will fail for want of a token', async () => {
    const resolved = await resolveIn({ profile: 'hf-spaces' });
    expect(resolved.warnings).toContain(
      'models.answer.chain[0] (hf-inference "openai/gpt-oss-20b") has no token and HF_TOKEN is not set: it will fail with AuthenticationError, and its chain will fall back.',
    );
    expect((await resolveIn({ profile: 'hf-spaces', env: { HF_TOKEN: 'hf_abcdefghijk' } })).warnings).toEqual([]);
  });
});

describe('resolveConfig: storage', () => {
  const password = 'Pg-pa55word-for-tests';
  const url = `postgres://rag:${password}@db.internal:5432/rag`;

  it('DATABASE_URL with no storage setting: PostgreSQL, the profile unchanged, cost state in the same database', async () => {
    const resolved = await resolveIn({ env: { DATABASE_URL: url, SPACE_ID: 'org/space' } });
    expect(resolved.profile).toBe('hf-spaces');
    expect(resolved.config.storage).toEqual({ kind: 'postgres', url });
    // hf-spaces keeps its ledger and embedding cache in SQLite files next to its store; with PostgreSQL they move in with it.
    expect(resolved.config.budgets.ledger).toBeUndefined();
    expect(resolved.config.caches.embeddings.path).toBeUndefined();
    expect(resolved.storageReason).toBe('DATABASE_URL is set to a PostgreSQL URL');
    expect(resolved.overrides).toContainEqual({ path: 'storage', source: 'env DATABASE_URL' });
    expect(resolved.sources).toContainEqual({ kind: 'env', variables: ['DATABASE_URL'] });
  });

  it('without DATABASE_URL the profile’s SQLite file, as before', async () => {
    const resolved = await resolveIn({ profile: 'hf-spaces' });
    expect(resolved.config.storage).toEqual({ kind: 'sqlite', path: 'data/ragbridge.db' });
    expect(resolved.config.budgets.ledger).toBe('data/usage.db');
    expect(resolved.storageReason).toBe("the profile's default; DATABASE_URL is not set");
  });

  it('a storage setting above the profile wins over DATABASE_URL', async () => {
    await write('ragbridge.yaml', 'extends: local\nstorage:\n  path: docs.db\n');
    const byFile = await resolveIn({ env: { DATABASE_URL: url } });
    expect(byFile.config.storage).toEqual({ kind: 'sqlite', path: 'docs.db' });
    expect(byFile.storageReason).toBe('set by ragbridge.yaml (DATABASE_URL is not used)');
    const byEnv = await resolveIn({ file: await write('other.yaml', 'extends: local\n'), env: { DATABASE_URL: url, RAGBRIDGE_STORAGE__PATH: 'env.db' } });
    expect(byEnv.config.storage).toEqual({ kind: 'sqlite', path: 'env.db' });
  });

  it('url: ${DATABASE_URL} in ragbridge.yaml, replacing the profile’s SQLite section; other fields kept', async () => {
    const file = await write('ragbridge.yaml', 'extends: hf-spaces\nstorage:\n  kind: postgres\n  url: ${DATABASE_URL}\n  schema: docs\nbudgets:\n  ledger: data/usage.db\n');
    const resolved = await resolveIn({ file, env: { DATABASE_URL: url } });
    expect(resolved.config.storage).toEqual({ kind: 'postgres', url, schema: 'docs' });
    // A ledger file the user names stays a file; the profile's embedding cache file moves to the database.
    expect(resolved.config.budgets.ledger).toBe('data/usage.db');
    expect(resolved.config.caches.embeddings.path).toBeUndefined();
    expect(resolved.storageReason).toBe('set by ragbridge.yaml');
  });

  it('names the variable when ${DATABASE_URL} is not set', async () => {
    const file = await write('ragbridge.yaml', 'storage:\n  kind: postgres\n  url: ${DATABASE_URL}\n');
    const error = await configError(resolveIn({ file }));
    expect(error.issues).toEqual([
      { path: 'storage.url', message: 'environment variable DATABASE_URL is not set (write ${DATABASE_URL:-default} to give a default)', source: 'ragbridge.yaml' },
    ]);
  });

  it('kind: postgres without url takes DATABASE_URL, and says what to do when it is not set', async () => {
    const file = await write('ragbridge.yaml', 'storage:\n  kind: postgres\n');
    const resolved = await resolveIn({ file, env: { DATABASE_URL: url } });
    expect(resolved.config.storage).toEqual({ kind: 'postgres', url });
    expect(resolved.storageReason).toBe('set by ragbridge.yaml, url from DATABASE_URL');
    const error = await configError(resolveIn({ file }));
    expect(error.issues).toEqual([
      { path: 'storage.url', message: 'is required with kind: postgres (DATABASE_URL is not set): write url: ${DATABASE_URL} or a postgres:// URL, or set DATABASE_URL', source: 'ragbridge.yaml' },
    ]);
  });

  it('PostgreSQL fields without kind: says to write kind: postgres', async () => {
    const file = await write('ragbridge.yaml', 'storage:\n  url: ${DATABASE_URL}\n');
    const error = await configError(resolveIn({ file, env: { DATABASE_URL: url } }));
    expect(error.issues).toEqual([{ path: 'storage.kind', message: 'is needed with url: write kind: postgres (a storage without kind is a SQLite file)', source: 'ragbridge.yaml' }]);
  });

  it('RAGBRIDGE_STORAGE__* variables switch the kind too', async () => {
    const resolved = await resolveIn({ profile: 'hf-spaces', env: { RAGBRIDGE_STORAGE__KIND: 'postgres', RAGBRIDGE_STORAGE__URL: url, RAGBRIDGE_STORAGE__MAX_CONNECTIONS: '3' } });
    expect(resolved.config.storage).toEqual({ kind: 'postgres', url, maxConnections: 3 });
  });

  it('RAGBRIDGE_STORAGE__KIND switches the section before its sibling variables apply, whatever their names sort as', async () => {
    const env = { RAGBRIDGE_STORAGE__KIND: 'postgres', RAGBRIDGE_STORAGE__URL: url, RAGBRIDGE_STORAGE__EF_SEARCH: '120', RAGBRIDGE_STORAGE__HNSW: '{"m":8,"efConstruction":40}' };
    const resolved = await resolveIn({ profile: 'hf-spaces', env });
    expect(resolved.config.storage).toEqual({ kind: 'postgres', url, efSearch: 120, hnsw: { m: 8, efConstruction: 40 } });
  });

  it('a DATABASE_URL of another database is left alone, and said so', async () => {
    const resolved = await resolveIn({ env: { DATABASE_URL: 'mysql://app:pw@db/app' } });
    expect(resolved.config.storage.kind).toBe('sqlite');
    expect(resolved.storageReason).toBe("the profile's default; DATABASE_URL is set but is not a PostgreSQL URL (mysql://…): storage stays SQLite");
  });

  it('the test cluster’s variables beside DATABASE_URL are not settings; an unknown RAGBRIDGE_ key is named with its variable', async () => {
    const env = { DATABASE_URL: url, RAGBRIDGE_PG_DATA: '/tmp/ragbridge-pg.x', RAGBRIDGE_REQUIRE_POSTGRES: '1' };
    expect((await resolveIn({ env })).config.storage).toEqual({ kind: 'postgres', url });
    const error = await configError(resolveIn({ env: { ...env, RAGBRIDGE_RETRIVAL__K: '3' } }));
    expect(error.issues).toEqual([expect.objectContaining({ path: '', message: expect.stringMatching(/^unknown key "retrival" \(allowed: profile, offline, models, /), source: 'env RAGBRIDGE_RETRIVAL__K' })]);
  });

  it('never shows the database password in an error', async () => {
    const file = await write('ragbridge.yaml', `storage:\n  kind: postgres\n  url: ${url}\n  maxConnections: many\n`);
    const error = await configError(resolveIn({ file }));
    expect(error.message).toContain('storage.maxConnections');
    expect(error.message).not.toContain(password);
  });
});
