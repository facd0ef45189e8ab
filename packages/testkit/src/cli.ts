#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startFakeServices } from './fake-services.js';

const USAGE = `ragbridge-fakes: fake Hugging Face, TEI and Ollama services on 127.0.0.1

Usage: ragbridge-fakes [options]
  --hf-port N          Hugging Face router + Hub + hf-inference (default 8790)
  --tei-embed-port N   TEI embedding server (default 8791)
  --tei-rerank-port N  TEI reranker server (default 8792)
  --ollama-port N      Ollama server (default 11435, beside a real Ollama on 11434)
  --latency MS         latency added to every request (default 0)
  --stream-delay MS    delay between stream events (default 0)
  --hf-token TOKEN     token the fake router requires (default: none)
  --json               print the URLs as one JSON line (for scripts)
  -h, --help           show this help
Stops on Ctrl-C (SIGINT) or SIGTERM.`;

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number from 0 to 65535, got "${value}"`);
  return n;
}

function ms(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number of milliseconds, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'hf-port': { type: 'string' },
      'tei-embed-port': { type: 'string' },
      'tei-rerank-port': { type: 'string' },
      'ollama-port': { type: 'string' },
      latency: { type: 'string' },
      'stream-delay': { type: 'string' },
      'hf-token': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const latencyMs = ms(values.latency, 'latency');
  const streamDelayMs = ms(values['stream-delay'], 'stream-delay');
  const services = await startFakeServices({
    hfPort: port(values['hf-port'], 8790, 'hf-port'),
    teiEmbedPort: port(values['tei-embed-port'], 8791, 'tei-embed-port'),
    teiRerankPort: port(values['tei-rerank-port'], 8792, 'tei-rerank-port'),
    ollamaPort: port(values['ollama-port'], 11435, 'ollama-port'),
    ...(latencyMs !== undefined && { latencyMs }),
    ...(streamDelayMs !== undefined && { streamDelayMs }),
    ...(values['hf-token'] !== undefined && { hfToken: values['hf-token'] }),
  });
  const urls = {
    hf: services.hf.url,
    teiEmbed: services.teiEmbed.url,
    teiRerank: services.teiRerank.url,
    ollama: services.ollama.url,
  };
  if (values.json) console.log(JSON.stringify(urls));
  else {
    console.log('Fake model services running (Ctrl-C to stop):');
    console.log(`  Hugging Face router/Hub/hf-inference  ${urls.hf}`);
    console.log(`  TEI embeddings                        ${urls.teiEmbed}`);
    console.log(`  TEI reranker                          ${urls.teiRerank}`);
    console.log(`  Ollama                                ${urls.ollama}`);
  }
  const stop = (): void => {
    void services.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`ragbridge-fakes: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
