import { resolveCliConfig } from '@ragbridge/cli';
import { resolveAppConfig } from '@ragbridge/demo';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A port nothing listens on: Ollama detection finds no server there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const DATABASE_URL_CASE = 'postgres://rag:same-profile-pw@127.0.0.1:5432/rag';

// One composition root: the CLI and the demo app must run the same configuration from the same
// environment and working folder, whatever decides it.
describe('the CLI and the demo app resolve the same profile', async () => {
  const ollama = `http://127.0.0.1:${await closedPort()}`;
  const withYaml = mkdtempSync(join(tmpdir(), 'rb-same-'));
  writeFileSync(join(withYaml, 'ragbridge.yaml'), 'extends: local\nretrieval:\n  k: 7\n');
  const cases: Array<[string, Record<string, string>, string]> = [
    ['nothing set, no Ollama', { OLLAMA_HOST: ollama }, mkdtempSync(join(tmpdir(), 'rb-same-'))],
    ['RAGBRIDGE_PROFILE', { OLLAMA_HOST: ollama, RAGBRIDGE_PROFILE: 'hybrid', HF_TOKEN: 'hf_sameProfileTest000000000' }, mkdtempSync(join(tmpdir(), 'rb-same-'))],
    ['a Space', { OLLAMA_HOST: ollama, SPACE_ID: 'someone/space', HF_TOKEN: 'hf_sameProfileTest000000000' }, mkdtempSync(join(tmpdir(), 'rb-same-'))],
    ['HF_TOKEN', { OLLAMA_HOST: ollama, HF_TOKEN: 'hf_sameProfileTest000000000' }, mkdtempSync(join(tmpdir(), 'rb-same-'))],
    ['ragbridge.yaml in the working folder', { OLLAMA_HOST: ollama }, withYaml],
    // PostgreSQL storage from the environment (nothing is opened: only the configuration is compared).
    ['DATABASE_URL', { OLLAMA_HOST: ollama, DATABASE_URL: DATABASE_URL_CASE }, mkdtempSync(join(tmpdir(), 'rb-same-'))],
    ['DATABASE_URL and ragbridge.yaml', { OLLAMA_HOST: ollama, DATABASE_URL: DATABASE_URL_CASE }, withYaml],
  ];

  it.each(cases)('%s', async (_, env, cwd) => {
    const cli = await resolveCliConfig({ env, cwd });
    const app = await resolveAppConfig({ env, cwd });
    expect(cli.profile).toBe(app.profile);
    expect(cli.config).toEqual(app.config);
  });

  it('and the cases differ (the test would notice a resolution that ignores its inputs)', async () => {
    const profiles = await Promise.all(cases.map(([, env, cwd]) => resolveCliConfig({ env, cwd }).then((r) => r.profile)));
    expect(new Set(profiles).size).toBeGreaterThanOrEqual(4);
    const yaml = await resolveCliConfig({ env: { OLLAMA_HOST: ollama }, cwd: withYaml });
    expect(yaml.config.retrieval.k).toBe(7);
    // DATABASE_URL moves the storage (and the ledger with it) to PostgreSQL, for both, whatever the profile.
    const withDatabase = await resolveCliConfig({ env: { OLLAMA_HOST: ollama, DATABASE_URL: DATABASE_URL_CASE }, cwd: withYaml });
    expect(withDatabase.config.storage).toEqual({ kind: 'postgres', url: DATABASE_URL_CASE });
    expect(withDatabase.config.budgets.ledger).toBeUndefined();
    expect(withDatabase.profile).toBe(yaml.profile);
    // An explicit --profile wins over the environment, as the app's profile option does.
    expect((await resolveCliConfig({ profile: 'offline', env: cases[3]?.[1] ?? {}, cwd: withYaml })).profile).toBe('offline');
  });
});
