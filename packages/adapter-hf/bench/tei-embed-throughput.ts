// Embedding throughput of the TEI embedder against the fake TEI with a fixed latency per request:
// how batch size (and request concurrency) turn 1,000 chunks into requests and texts per second.
//
// Run: npm run bench -w @ragbridge/adapter-hf
//      (or: node --conditions=@ragbridge/source --import tsx packages/adapter-hf/bench/tei-embed-throughput.ts)
// Env: BENCH_LATENCY_MS (default 20), BENCH_CHUNKS (default 1000).
import { createTeiEmbedder } from '../src/index.js';
import { estimateTokens } from '@ragbridge/core-interfaces';
import { startFakeTei } from '@ragbridge/testkit';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 1000);
const BATCH_SIZES = [1, 8, 32, 128];
const CONCURRENCY = [1, 4];

const TOPICS = ['vector registers', 'the privileged ISA', 'compressed instructions', 'software validation', 'atomic memory operations', 'the FDA guidance'];

/** A deterministic chunk of about 60 words, like a paragraph of the technical corpus. */
function chunk(i: number): string {
  const topic = TOPICS[i % TOPICS.length] ?? '';
  return (
    `Chunk ${i} describes ${topic}. The specification defines how ${topic} interact with control and status registers, ` +
    `which exceptions they raise, and how an implementation reports them to machine mode. Section ${(i % 40) + 1} ` +
    `lists the encodings, the reserved fields and the conditions under which the result is undefined, with ${i % 7} worked examples.`
  );
}

const tei = await startFakeTei({ latencyMs: LATENCY_MS, maxClientBatchSize: 128 });
const texts = Array.from({ length: CHUNKS }, (_, i) => chunk(i));
const meanTokens = texts.reduce((n, t) => n + estimateTokens(t), 0) / texts.length;

console.log(`TEI embedder throughput: ${CHUNKS} chunks (~${Math.round(meanTokens)} estimated tokens each), fake TEI with ${LATENCY_MS} ms per request`);
console.log('fake limits: max_client_batch_size 128, max_batch_tokens 16384, max_input_length 512\n');
console.log('batch size | concurrency | requests | texts/request | wall time (ms) | texts/s | requests per 1,000 chunks');
console.log('-----------|-------------|----------|---------------|----------------|---------|--------------------------');

try {
  for (const concurrency of CONCURRENCY) {
    for (const batchSize of BATCH_SIZES) {
      const embedder = createTeiEmbedder({ baseUrl: tei.url, maxBatchSize: batchSize, concurrency });
      await embedder.embed({ texts: ['warm up: reads /info once'] });
      tei.clearRequests();
      const started = performance.now();
      const { embeddings } = await embedder.embed({ texts });
      const ms = performance.now() - started;
      if (embeddings.length !== texts.length) throw new Error(`expected ${texts.length} vectors, got ${embeddings.length}`);
      const requests = tei.requestsTo('tei.embed').length;
      const row = [
        String(batchSize).padStart(10),
        String(concurrency).padStart(11),
        String(requests).padStart(8),
        (texts.length / requests).toFixed(1).padStart(13),
        ms.toFixed(0).padStart(14),
        ((texts.length / ms) * 1000).toFixed(0).padStart(7),
        ((requests / texts.length) * 1000).toFixed(0).padStart(25),
      ];
      console.log(row.join(' | '));
    }
  }
} finally {
  await tei.close();
}
console.log('\nReproduce: npm run bench -w @ragbridge/adapter-hf');
