import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { detectProfile, detectStorage, ollamaBaseUrl } from './detect-profile.js';

let ollama: FakeServer;
let closedPort: number;
let notOllama: Server;
let notOllamaUrl: string;

beforeAll(async () => {
  ollama = await startFakeOllama();
  // A port nothing listens on: bind one, note it, close it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  notOllama = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>a web app</html>');
  });
  await new Promise<void>((resolve) => notOllama.listen(0, '127.0.0.1', resolve));
  notOllamaUrl = `http://127.0.0.1:${(notOllama.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await ollama.close();
  await new Promise<void>((resolve) => notOllama.close(() => resolve()));
});

const unusedFetch = (): typeof fetch => vi.fn<typeof fetch>(() => Promise.reject(new Error('the probe should not run')));

describe('detectProfile', () => {
  it('picks hf-spaces on a Space (SPACE_ID or SPACE_HOST) without probing anything', async () => {
    const fetch = unusedFetch();
    const byId = await detectProfile({ env: { SPACE_ID: 'ragbridge/demo', HF_TOKEN: 'hf_x1234567' }, fetch });
    expect(byId.profile).toBe('hf-spaces');
    expect(byId.reason).toBe('SPACE_ID is set (ragbridge/demo): running on a Hugging Face Space');
    const byHost = await detectProfile({ env: { SPACE_HOST: 'ragbridge-demo.hf.space' }, fetch });
    expect(byHost.profile).toBe('hf-spaces');
    expect(byHost.checks.map((c) => `${c.check}:${c.result}`)).toEqual(['space:matched', 'hf-token:skipped', 'ollama:skipped']);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('picks hybrid when HF_TOKEN is set, before looking for Ollama', async () => {
    const fetch = unusedFetch();
    const detection = await detectProfile({ env: { HF_TOKEN: 'hf_abcdefghij', OLLAMA_HOST: ollama.url }, fetch });
    expect(detection.profile).toBe('hybrid');
    expect(detection.checks[1]).toEqual({ check: 'hf-token', result: 'matched', detail: 'HF_TOKEN is set' });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('ignores an empty HF_TOKEN', async () => {
    const detection = await detectProfile({ env: { HF_TOKEN: '  ', OLLAMA_HOST: ollama.url } });
    expect(detection.profile).toBe('local');
  });

  it('picks local when Ollama answers /api/version', async () => {
    ollama.clearRequests();
    const detection = await detectProfile({ env: { OLLAMA_HOST: ollama.url } });
    expect(detection.profile).toBe('local');
    expect(detection.reason).toMatch(new RegExp(`^Ollama 0\\.12\\.0 answered at ${ollama.url.replace(/[.]/g, '\\.')} in \\d+ ms: local models$`));
    expect(ollama.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/version']);
  });

  it('picks offline when nothing listens at the Ollama address', async () => {
    const detection = await detectProfile({ env: { OLLAMA_HOST: `127.0.0.1:${closedPort}` } });
    expect(detection.profile).toBe('offline');
    expect(detection.checks.at(-1)).toEqual({ check: 'ollama', result: 'no', detail: `Ollama not reachable at http://127.0.0.1:${closedPort} (ECONNREFUSED)` });
  });

  it('does not mistake another web server for Ollama', async () => {
    const detection = await detectProfile({ env: {}, ollamaHost: notOllamaUrl });
    expect(detection.profile).toBe('offline');
    expect(detection.checks.at(-1)?.detail).toBe(`${notOllamaUrl}/api/version did not answer like Ollama`);
  });

  it('gives up on an Ollama that does not answer within 300 ms', async () => {
    ollama.fault({ route: 'ollama.version', hang: true });
    try {
      const started = performance.now();
      const detection = await detectProfile({ env: { OLLAMA_HOST: ollama.url } });
      const elapsed = performance.now() - started;
      expect(detection.profile).toBe('offline');
      expect(detection.checks.at(-1)?.detail).toBe(`no answer from Ollama at ${ollama.url} within 300 ms`);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1_500);
    } finally {
      ollama.clearFaults();
    }
  });

  it('is not held up by a fetch that ignores its abort signal', async () => {
    let signal: AbortSignal | undefined;
    const deaf = vi.fn<typeof fetch>((_, init) => {
      signal = init?.signal ?? undefined;
      return new Promise<Response>(() => undefined);
    });
    const detection = await detectProfile({ env: {}, fetch: deaf, probeTimeoutMs: 20 });
    expect(detection.profile).toBe('offline');
    expect(deaf).toHaveBeenCalledWith('http://127.0.0.1:11434/api/version', expect.anything());
    expect(signal?.aborted).toBe(true);
  });
});

describe('ollamaBaseUrl', () => {
  it.each([
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['localhost', 'http://localhost:11434'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    [':8080', 'http://127.0.0.1:8080'],
    ['ollama.internal:1234', 'http://ollama.internal:1234'],
    ['https://user:pass@ollama.example.com', 'https://ollama.example.com'],
    ['http://10.0.0.5:11434/', 'http://10.0.0.5:11434'],
  ])('%s → %s', (host, expected) => {
    expect(ollamaBaseUrl(host)).toBe(expected);
  });
});

describe('detectStorage', () => {
  it('PostgreSQL when DATABASE_URL holds a postgres:// or postgresql:// URL, described without it', () => {
    const url = 'postgresql://app:Secret-Pw-1@db.example:6543/rag?sslmode=require';
    const found = detectStorage({ DATABASE_URL: url });
    expect(found.storage).toEqual({ kind: 'postgres', url });
    expect(found.detail).toBe('DATABASE_URL is set to a PostgreSQL URL');
    expect(detectStorage({ DATABASE_URL: 'postgres://localhost/rag' }).storage?.kind).toBe('postgres');
  });

  it('nothing when DATABASE_URL is unset, empty, or another database’s', () => {
    expect(detectStorage({})).toEqual({ detail: 'DATABASE_URL is not set' });
    expect(detectStorage({ DATABASE_URL: '  ' })).toEqual({ detail: 'DATABASE_URL is not set' });
    const other = detectStorage({ DATABASE_URL: 'mysql://root:pw@db/app' });
    expect(other.storage).toBeUndefined();
    expect(other.detail).toBe('DATABASE_URL is set but is not a PostgreSQL URL (mysql://…): storage stays SQLite');
  });
});
