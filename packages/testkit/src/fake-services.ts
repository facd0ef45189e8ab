import type { FakeServer } from './fake-server.js';
import { startFakeHf } from './hf-fake.js';
import { startFakeOllama } from './ollama-fake.js';
import { startFakeTei } from './tei-fake.js';

/** Ports and behaviour of {@link startFakeServices}. Port 0 picks a free port. */
export interface FakeServicesOptions {
  hfPort?: number;
  teiEmbedPort?: number;
  teiRerankPort?: number;
  ollamaPort?: number;
  /** Latency added to every request of every service, in ms. @default 0 */
  latencyMs?: number;
  /** Delay between stream events, in ms. @default 0 */
  streamDelayMs?: number;
  /** Token the fake Hugging Face router requires; none when omitted. */
  hfToken?: string;
}

/** The four fakes, started together. */
export interface RunningFakeServices {
  hf: FakeServer;
  teiEmbed: FakeServer;
  teiRerank: FakeServer;
  ollama: FakeServer;
  close(): Promise<void>;
}

/** Starts the fake Hugging Face, TEI (embedding and reranker) and Ollama services on 127.0.0.1. */
export async function startFakeServices(options: FakeServicesOptions = {}): Promise<RunningFakeServices> {
  const common = {
    ...(options.latencyMs !== undefined && { latencyMs: options.latencyMs }),
    ...(options.streamDelayMs !== undefined && { streamDelayMs: options.streamDelayMs }),
  };
  const [hf, teiEmbed, teiRerank, ollama] = await Promise.all([
    startFakeHf({ ...common, port: options.hfPort ?? 0, ...(options.hfToken !== undefined && { token: options.hfToken }) }),
    startFakeTei({ ...common, port: options.teiEmbedPort ?? 0, kind: 'embedding' }),
    startFakeTei({ ...common, port: options.teiRerankPort ?? 0, kind: 'reranker' }),
    startFakeOllama({ ...common, port: options.ollamaPort ?? 0 }),
  ]);
  return {
    hf,
    teiEmbed,
    teiRerank,
    ollama,
    async close() {
      await Promise.all([hf.close(), teiEmbed.close(), teiRerank.close(), ollama.close()]);
    },
  };
}
