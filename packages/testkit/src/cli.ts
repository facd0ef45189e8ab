#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startFakeServices } from './fake-services.js';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const USAGE = `ragbridge-fakes: fake Hugging Face, TEI and Ollama services on 127.0.0.1

Usage: ragbridge-fakes [options]
  --hf-port N          Hugging Face router + Hub + hf-inference (default 8790)
  --tei-embed-port N   TEI embedding server (default 8791)
  --tei-rerank-port N  TEI reranker server (default 8792)
  --ollama-port N      Ollama server (default 11435, beside a real Ollama on 11434)
  --latency MS         latency added to every request (default 0)
  --stream-delay MS    delay between stream events (default 0)
  --hf-token TOKEN     token the fake router requires (default: none)
  --otlp-port N        also an OpenTelemetry trace receiver (OTLP/HTTP, JSON or protobuf) that
                       prints each span it receives, e.g. 4318 (default: none)
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
      'otlp-port': { type: 'string' },
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
  const otlp = values['otlp-port'] === undefined ? undefined : await startOtlpReceiver({ port: port(values['otlp-port'], 4318, 'otlp-port'), onExport: (received) => received.spans.forEach(printSpan) });
  const urls = {
    hf: services.hf.url,
    teiEmbed: services.teiEmbed.url,
    teiRerank: services.teiRerank.url,
    ollama: services.ollama.url,
    ...(otlp && { otlp: otlp.url }),
  };
  if (values.json) console.log(JSON.stringify(urls));
  else {
    console.log('Fake model services running (Ctrl-C to stop):');
    console.log(`  Hugging Face router/Hub/hf-inference  ${urls.hf}`);
    console.log(`  TEI embeddings                        ${urls.teiEmbed}`);
    console.log(`  TEI reranker                          ${urls.teiRerank}`);
    console.log(`  Ollama                                ${urls.ollama}`);
    if (otlp) console.log(`  OTLP trace receiver (spans below)     ${otlp.url}`);
  }
  const stop = (): void => {
    void Promise.all([services.close(), otlp?.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** One line per span: trace, name, and its GenAI and ragbridge attributes. */
function printSpan(span: ReceivedSpan): void {
  const attributes = Object.entries(span.attributes)
    .filter(([key]) => key.startsWith('gen_ai.') || key.startsWith('ragbridge.') || key === 'error.type')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  console.log(`span ${span.traceId.slice(0, 8)} ${span.name}${span.status.code === 2 ? ' [error]' : ''}${attributes.length ? `  ${attributes.join(' ')}` : ''}`);
}

main().catch((error: unknown) => {
  console.error(`ragbridge-fakes: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
