import { AuthenticationError, BackendUnreachableError, RequestTimeoutError } from '@ragbridge/core-interfaces';
import { startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closedPortUrl } from './__fixtures__/network.js';
import { checkOllamaHealth } from './ollama-health.js';

let server: FakeServer;

beforeAll(async () => {
  server = await startFakeOllama();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.clearFaults();
  server.clearRequests();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('checkOllamaHealth', () => {
  it('reports a running server, its version and the pulled models, from GET /api/version and GET /api/tags', async () => {
    const health = await checkOllamaHealth({ host: server.url, models: ['llama3.2:3b', 'nomic-embed-text'], headers: { 'X-Proxy-Key': 'proxy-key-1234567' } });

    expect(health).toMatchObject({ ok: true, host: server.url, reachable: true, version: '0.12.0', problems: [] });
    expect(health.models).toEqual([
      expect.objectContaining({ model: 'llama3.2:3b', status: 'pulled', name: 'llama3.2:3b' }),
      expect.objectContaining({ model: 'nomic-embed-text', status: 'pulled', name: 'nomic-embed-text:latest' }),
    ]);
    expect(health.models[1]?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(health.models[1]?.sizeBytes).toBeGreaterThan(0);
    expect(health.error).toBeUndefined();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/version', 'GET /api/tags']);
    expect(server.requests.every((r) => r.headers['x-proxy-key'] === 'proxy-key-1234567')).toBe(true);
  });

  it('tells a model that is not pulled apart, with the `ollama pull` command', async () => {
    const health = await checkOllamaHealth({ host: server.url, models: ['llama3.2:3b', 'qwen3:8b'] });

    expect(health).toMatchObject({ ok: false, reachable: true, version: '0.12.0' });
    expect(health.models[0]?.status).toBe('pulled');
    expect(health.models[1]).toEqual({ model: 'qwen3:8b', status: 'not-pulled', message: 'model "qwen3:8b" is not pulled — run `ollama pull qwen3:8b`' });
    expect(health.problems).toEqual(['model "qwen3:8b" is not pulled — run `ollama pull qwen3:8b`']);
  });

  it('tells a server that is not running apart, with `ollama serve`', async () => {
    const host = await closedPortUrl();
    const health = await checkOllamaHealth({ host, models: ['llama3.2:3b'] });

    expect(health).toMatchObject({ ok: false, host, reachable: false, models: [{ model: 'llama3.2:3b', status: 'unknown' }] });
    expect(health.version).toBeUndefined();
    expect(health.problems).toHaveLength(1);
    expect(health.problems[0]).toMatch(new RegExp(`^Ollama is not running at ${host} — start it with \`ollama serve\``));
    expect(BackendUnreachableError.isInstance(health.error)).toBe(true);
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    server.fault({ route: 'ollama.version', hang: true });
    const health = await checkOllamaHealth({ host: server.url, models: ['llama3.2:3b'], timeoutMs: 50 });

    expect(health).toMatchObject({ ok: false, reachable: false });
    expect(health.problems[0]).toContain('did not answer within 50 ms');
    expect(RequestTimeoutError.isInstance(health.error)).toBe(true);
  });

  it('reports a proxy that refuses the model list, without claiming models are missing', async () => {
    server.fault({ route: 'ollama.tags', status: 401, body: { error: 'unauthorized' } });
    const health = await checkOllamaHealth({ host: server.url, models: ['llama3.2:3b'] });

    expect(health).toMatchObject({ ok: false, reachable: true, version: '0.12.0', models: [{ model: 'llama3.2:3b', status: 'unknown' }] });
    expect(health.problems[0]).toContain('could not list its models');
    expect(AuthenticationError.isInstance(health.error)).toBe(true);
  });

  it('reads OLLAMA_HOST at call time, accepting the `:port` shorthand', async () => {
    vi.stubEnv('OLLAMA_HOST', `:${new URL(server.url).port}`);
    const health = await checkOllamaHealth();
    expect(health).toMatchObject({ ok: true, host: server.url, reachable: true, models: [] });
  });

  it('rejects with the reason when the caller aborts', async () => {
    const controller = new AbortController();
    const reason = new DOMException('stop', 'AbortError');
    controller.abort(reason);
    await expect(checkOllamaHealth({ host: server.url, abortSignal: controller.signal })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);

    server.fault({ route: 'ollama.version', hang: true });
    const later = new AbortController();
    const pending = checkOllamaHealth({ host: server.url, abortSignal: later.signal });
    setImmediate(() => later.abort(reason));
    await expect(pending).rejects.toBe(reason);
  });
});
