import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describePostgres } from '@ragbridge/testkit/postgres';
import { eventData, parseSse } from './__fixtures__/sse.js';
import { startServer, type RunningServer } from './server.js';

describePostgres('the demo app on PostgreSQL storage from DATABASE_URL', ({ url, schema }) => {
  const password = new URL(url).password;
  // The offline profile, keyword retrieval; documents, ledger and caches in this block's schema.
  const env = {
    HOST: '127.0.0.1',
    HF_HUB_OFFLINE: '1',
    DATABASE_URL: url,
    RAGBRIDGE_STORAGE__KIND: 'postgres',
    RAGBRIDGE_STORAGE__SCHEMA: schema,
    RAGBRIDGE_RETRIEVAL__MODE: 'keyword',
    RAGBRIDGE_MODELS__RERANKER__CHAIN: '[]',
  };
  const servers: RunningServer[] = [];
  const start = async (logs: string[]): Promise<RunningServer> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rb-demo-pg-'));
    const server = await startServer({ resolve: { profile: 'offline', env, cwd: dataDir }, dataDir, port: 0, log: (line) => logs.push(line) });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('two replicas share one corpus: the first ingests the sample corpus, the second finds it and answers from it', async () => {
    const firstLogs: string[] = [];
    const first = await start(firstLogs);
    expect(firstLogs).toContain(`ragbridge demo: storage PostgreSQL at ${new URL(url).protocol}//${new URL(url).host}${new URL(url).pathname}, schema ${schema} (set by env RAGBRIDGE_STORAGE__SCHEMA, url from DATABASE_URL); usage ledger, budget reservations, alert state and embedding cache in the same database`);
    expect(firstLogs.some((line) => line.includes('ingesting the sample corpus'))).toBe(true);
    const documents = (await first.runtime.pipeline.store.stats()).documents;
    expect(documents).toBeGreaterThan(3);

    const secondLogs: string[] = [];
    const second = await start(secondLogs);
    // Its data folder is new, but the store is not: nothing is ingested again.
    expect(secondLogs.some((line) => line.includes('ingesting the sample corpus'))).toBe(false);
    expect(await (await fetch(`${second.url}/api/health`)).json()).toMatchObject({ status: 'ok', documents });

    const response = await fetch(`${second.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Why do the adapters not retry or fall back on their own?' }) });
    expect(response.status).toBe(200);
    const answer = eventData<{ refused: boolean; citations: unknown[] }>(parseSse(await response.text()), 'answer');
    expect(answer.refused).toBe(false);
    expect(answer.citations.length).toBeGreaterThan(0);

    const profile = await (await fetch(`${first.url}/api/profile`)).text();
    for (const leak of [url, new URL(url).host, schema, ...(password ? [password] : [])]) expect(profile).not.toContain(leak);
    expect(JSON.parse(profile)).toMatchObject({ config: { storage: { kind: 'postgres' } } });
    if (password) for (const line of [...firstLogs, ...secondLogs]) expect(line).not.toContain(password);
  }, 120_000);
});
