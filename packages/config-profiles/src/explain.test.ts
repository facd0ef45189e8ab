import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from './explain.js';
import { resolveConfig } from './resolve-config.js';

const noOllama: typeof fetch = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));

describe('explain', () => {
  it('never shows a token, whether it came from the environment or the configuration', async () => {
    const envToken = 'hf_EnvTokenValue1234567890';
    const teiKey = 'tei-key-literal-5f4e3d2c1b';
    const proxyKey = 'proxy-secret-header-value-99';
    const webhookToken = 'T000/B000/XXXXwebhookpart';
    const serverKey = 'srv-key-abcdef123456';
    const urlPassword = 'p4ssw0rd-in-url';
    const billingToken = 'org-billing-token-777777';
    const dir = await mkdtemp(join(tmpdir(), 'ragbridge-explain-'));
    try {
      await writeFile(
        join(dir, 'ragbridge.yaml'),
        [
          'extends: hybrid',
          'models:',
          '  answer:',
          '    chain:',
          '      - backend: hf-inference',
          '        model: openai/gpt-oss-20b',
          '        token: ${HF_TOKEN}',
          '        options:',
          '          billTo: ${BILLING_TOKEN}',
          '      - backend: ollama',
          '        model: llama3.2:3b',
          `        endpoint: https://ops:${urlPassword}@ollama.internal`,
          '        options:',
          '          headers:',
          `            X-Proxy-Key: ${proxyKey}`,
          '  embedder:',
          '    chain:',
          '      - backend: hf-tei',
          '        model: BAAI/bge-small-en-v1.5',
          '        endpoint: http://tei:8080',
          `        apiKey: ${teiKey}`,
          'alerts:',
          '  webhook:',
          `    url: https://hooks.slack.com/services/${webhookToken}`,
          'server:',
          `  apiKey: ${serverKey}`,
        ].join('\n'),
      );
      const env = { HF_TOKEN: envToken, BILLING_TOKEN: billingToken };
      const resolved = await resolveConfig({ cwd: dir, env, fetch: noOllama });
      const secrets = [envToken, teiKey, proxyKey, webhookToken, serverKey, urlPassword, billingToken];
      // The resolved configuration does hold them (the composition root needs them) ...
      const raw = JSON.stringify(resolved.config);
      for (const secret of secrets) expect(raw).toContain(secret);

      // ... and explain() shows none of them, in its data or its text.
      const explanation = explain(resolved, { env });
      const shown = JSON.stringify(explanation) + explanation.text;
      for (const secret of secrets) expect(shown).not.toContain(secret);
      expect(explanation.config.models.answer.chain[0]).toMatchObject({ token: '[redacted]' });
      expect(explanation.config.models.embedder.chain[0]).toMatchObject({ apiKey: '[redacted]', endpoint: 'http://tei:8080' });
      expect(explanation.config.models.answer.chain[1]).toMatchObject({ endpoint: 'https://ollama.internal/', options: { headers: { 'X-Proxy-Key': '[redacted]' } } });
      expect(explanation.config.alerts.webhook).toEqual({ url: '[redacted]' });
      expect(explanation.config.models.answer.chain[0]).toMatchObject({ options: { billTo: '[redacted]' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says which profile, why, what detection saw, what was overridden, and what to watch', async () => {
    const resolved = await resolveConfig({ cwd: tmpdir(), env: { SPACE_ID: 'ragbridge/demo', RAGBRIDGE_RETRIEVAL__K: '7' }, fetch: noOllama });
    const explanation = explain(resolved, { env: {} });
    expect(explanation.profile).toBe('hf-spaces');
    expect(explanation.reason).toBe('detected: SPACE_ID is set (ragbridge/demo): running on a Hugging Face Space');
    expect(explanation.checks.map((c) => c.result)).toEqual(['matched', 'skipped', 'skipped']);
    expect(explanation.sources).toEqual(['built-in profile "hf-spaces"', 'environment (RAGBRIDGE_RETRIEVAL__K)']);
    expect(explanation.overrides).toEqual([{ path: 'retrieval.k', source: 'env RAGBRIDGE_RETRIEVAL__K' }]);
    expect(explanation.warnings.length).toBeGreaterThan(0);
    const lines = explanation.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['Profile: hf-spaces', `Why: ${explanation.reason}`, 'Detection:']);
    expect(lines).toContain('  ✓ [space] SPACE_ID is set (ragbridge/demo)');
    expect(lines).toContain('  retrieval.k ← env RAGBRIDGE_RETRIEVAL__K');
    expect(explanation.text).toMatch(/Configuration:\n {2}profile: hf-spaces\n/);
    expect(explanation.text).toContain('    k: 7');
  });
});

describe('explain: storage', () => {
  it('names PostgreSQL from DATABASE_URL with the password redacted, everywhere', async () => {
    const password = 'Explain-Db-Pa55';
    const url = `postgres://rag:${password}@db.internal:5432/rag`;
    const resolved = await resolveConfig({ cwd: tmpdir(), env: { DATABASE_URL: url, HF_TOKEN: 'hf_explainStorage123456' }, fetch: noOllama });
    const explanation = explain(resolved, { env: { DATABASE_URL: url } });
    expect(explanation.storage).toBe(
      'PostgreSQL at postgres://db.internal:5432/rag (DATABASE_URL is set to a PostgreSQL URL); usage ledger, budget reservations, alert state and embedding cache in the same database',
    );
    expect(explanation.text).toContain(`Storage: ${explanation.storage}`);
    expect(explanation.config.storage).toEqual({ kind: 'postgres', url: 'postgres://db.internal:5432/rag' });
    expect(JSON.stringify(explanation)).not.toContain(password);
  });

  it('names the SQLite file and why', async () => {
    const resolved = await resolveConfig({ cwd: tmpdir(), profile: 'offline', env: {}, fetch: noOllama });
    expect(explain(resolved, { env: {} }).storage).toBe("SQLite file .ragbridge/index.db (the profile's default; DATABASE_URL is not set)");
  });
});
