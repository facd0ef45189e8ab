import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { askCommand } from './commands.js';
import { evalCommand } from './eval-command.js';
import { ingestCommand } from './ingest-command.js';
const { describePostgres } = await import('@ragbridge/testkit/postgres');

/** Two short documents and questions about them. */
function corpus(): { dir: string; qa: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rb-pg-cmd-'));
  writeFileSync(join(dir, 'logging.md'), '# Log rotation\n\nLog files rotate every night at midnight and are kept for fourteen days.\n');
  writeFileSync(join(dir, 'backup.md'), '# Backups\n\nSnapshots of the database are taken every six hours and copied to a second region.\n');
  const qa = join(mkdtempSync(join(tmpdir(), 'rb-pg-qa-')), 'qa.json');
  writeFileSync(
    qa,
    JSON.stringify([
      { id: 'logs', question: 'How long are rotated log files kept?', evidence: [{ doc: 'logging.md', pages: [1] }] },
      { id: 'snapshots', question: 'How often are database snapshots taken?', evidence: [{ doc: 'backup.md', pages: [1] }] },
    ]),
  );
  return { dir, qa };
}

describePostgres('ingest, ask and eval on PostgreSQL storage from DATABASE_URL', ({ url, schema, admin }) => {
  const password = new URL(url).password;
  // The offline profile with keyword retrieval; storage: PostgreSQL from DATABASE_URL, in this block's schema.
  const env = { RAGBRIDGE_PROFILE: 'offline', RAGBRIDGE_RETRIEVAL__MODE: 'keyword', RAGBRIDGE_MODELS__RERANKER__CHAIN: '[]', HF_HUB_OFFLINE: '1', DATABASE_URL: url, RAGBRIDGE_STORAGE__KIND: 'postgres', RAGBRIDGE_STORAGE__SCHEMA: schema };
  const schemas: string[] = [];
  afterEach(() => vi.unstubAllEnvs());
  afterAll(async () => {
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });

  it('ingest writes into the database (no --store) and ask answers from it', async () => {
    const { dir } = corpus();
    const out = sink();
    expect(await ingestCommand([dir], { workers: 0, env, out: out.stream, err: sink().stream })).toBe(0);
    expect(out.text()).toMatch(new RegExp(`^Ingested into PostgreSQL postgres://[^ @]+ \\(schema ${schema}\\): 2 added`));
    if (password) expect(out.text()).not.toContain(password);
    const answer = sink();
    expect(await askCommand('How long are rotated log files kept?', { env, json: true, out: answer.stream })).toBe(0);
    expect((JSON.parse(answer.text()) as { citations: Array<{ docName: string }> }).citations[0]).toMatchObject({ docName: 'logging.md' });
    // Nothing went to a SQLite file in the working folder.
    expect(Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".documents`)).rows[0].n)).toBe(2);
  });

  it('eval keeps its corpus apart, in the schema eval_<corpus> of the same database', async () => {
    const { dir, qa } = corpus();
    const evalSchema = `eval_${basename(dir).toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
    schemas.push(evalSchema);
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const log = sink();
    const out = join(dir, 'results.json');
    expect(await evalCommand({ corpus: dir, qa, out, log: log.stream })).toBe(0);
    expect(log.text()).toMatch(new RegExp(`^Store: PostgreSQL postgres://[^ @]+ \\(schema ${evalSchema}\\)`));
    expect(log.text()).toMatch(/hit@1 1\.000/);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { results: unknown[] }).results).toHaveLength(2);
    expect(Number((await admin.query(`SELECT count(*) AS n FROM "${evalSchema}".documents`)).rows[0].n)).toBe(2);
  });
});

describePostgres('ingest with a hosted embedder on PostgreSQL storage', ({ url, schema, admin }) => {
  it('estimates, asks for --yes, embeds into the database, and has nothing left to pay for', async () => {
    const { fetchToFake, startFakeHf } = await import('@ragbridge/testkit');
    const token = 'hf_ingestPostgresTestToken_0123456789';
    const hf = await startFakeHf({ token });
    try {
      const { dir } = corpus();
      const env = { HF_TOKEN: token, HF_HUB_OFFLINE: '1', DATABASE_URL: url, RAGBRIDGE_STORAGE__KIND: 'postgres', RAGBRIDGE_STORAGE__SCHEMA: schema };
      const options = { profile: 'hf-spaces', workers: 0, env, fetch: fetchToFake(hf.url) };
      const embedCalls = (): number => hf.requests.filter((r) => r.route === 'hf-inference.pipeline').length;

      const refused = { out: sink(), err: sink() };
      expect(await ingestCommand([dir], { ...options, out: refused.out.stream, err: refused.err.stream })).toBe(2);
      expect(refused.out.text()).toMatch(/^Ingested into PostgreSQL .*: 2 added/);
      expect(refused.err.text()).toMatch(/chunks without a vector for it: 2; in the embedding cache already: 0\n/);
      expect(embedCalls()).toBe(0);

      const confirmed = { out: sink(), err: sink() };
      expect(await ingestCommand([dir], { ...options, yes: true, out: confirmed.out.stream, err: confirmed.err.stream })).toBe(0);
      expect(confirmed.out.text()).toContain("Embedded 2 chunk(s) with the hf-spaces profile's embedder.");
      const calls = embedCalls();
      expect(calls).toBeGreaterThan(0);
      // The new vector space's HNSW index was built once its vectors were in (a bulk load).
      expect(confirmed.err.text()).toMatch(/Building the HNSW index of 2 vectors \(provider=hf-inference;.*\)…\n {2}built in \d+\.\d s\n/);
      const indexes = await admin.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%USING hnsw%'", [schema]);
      expect(indexes.rows).toHaveLength(1);

      const again = { out: sink(), err: sink() };
      expect(await ingestCommand([dir], { ...options, out: again.out.stream, err: again.err.stream })).toBe(0);
      expect(again.err.text()).not.toContain('paid call');
      expect(again.err.text()).not.toContain('Building the HNSW index');
      expect(embedCalls()).toBe(calls);
      for (const text of [refused, confirmed, again].flatMap((s) => [s.out.text(), s.err.text()])) expect(text).not.toContain(token);
    } finally {
      await hf.close();
    }
  }, 60_000);
});
