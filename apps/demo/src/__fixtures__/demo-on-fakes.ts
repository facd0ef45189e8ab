import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchToFake, startFakeHf, startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { startServer, type RunningServer } from '../server.js';

/** The token the fake Hugging Face router requires, and the app is given as HF_TOKEN. */
export const FAKE_HF_TOKEN = 'hf_fakeSpaceSecret_0123456789abcdef';
export const FAKE_ADMIN_TOKEN = 'demo-admin-token-for-tests';

/** The demo server on the fake services, with its data in a temporary folder. */
export interface DemoOnFakes {
  url: string;
  server: RunningServer;
  hf: FakeServer;
  ollama: FakeServer;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts the fake Hugging Face router / hf-inference and the fake Ollama, then the demo server
 * in `profile` pointed at them (`hf-spaces`: HF_TOKEN and SPACE_ID set, requests to
 * huggingface.co rewritten to the fake; `local`: OLLAMA_HOST at the fake Ollama).
 */
export async function startDemoOnFakes(options: { profile: 'hf-spaces' | 'local' | 'offline'; answerLatencyMs?: number; log?: (line: string) => void }): Promise<DemoOnFakes> {
  const hf = await startFakeHf({
    port: 0,
    token: FAKE_HF_TOKEN,
    ...(options.answerLatencyMs !== undefined && { latencyMs: options.answerLatencyMs }),
  });
  const ollama = await startFakeOllama({ port: 0, ...(options.answerLatencyMs !== undefined && { latencyMs: options.answerLatencyMs }) });
  const dataDir = mkdtempSync(join(tmpdir(), `rb-demo-${options.profile}-`));
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    ADMIN_TOKEN: FAKE_ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: '100000',
    ...(options.profile === 'hf-spaces' && { HF_TOKEN: FAKE_HF_TOKEN, SPACE_ID: 'ragbridge/demo-test', SYSTEM: 'spaces' }),
    OLLAMA_HOST: ollama.url,
    // No Hub here: Transformers.js steps use only models on disk (none), so they fail at once.
    HF_HUB_OFFLINE: '1',
  };
  const server = await startServer({
    // hf-spaces is detected from the Space's variables (SPACE_ID, SYSTEM), as on a real Space.
    resolve: { ...(options.profile !== 'hf-spaces' && { profile: options.profile }), env, cwd: dataDir },
    runtime: { fetch: fetchToFake(hf.url) },
    dataDir,
    port: 0,
    sampleCorpus: false,
    log: options.log ?? (() => undefined),
  });
  return {
    url: server.url,
    server,
    hf,
    ollama,
    dataDir,
    async close() {
      await server.close();
      await Promise.all([hf.close(), ollama.close()]);
    },
  };
}
