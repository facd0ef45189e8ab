// Runs the answer generator, the embedders and the rerankers against the real services.
// Not run in CI: it needs a Hugging Face token (and spends a few hundredths of a cent of credits)
// and, for the TEI parts, running TEI servers.
//
//   HF_TOKEN=hf_…                               Inference Providers chat, hf-inference embeddings and reranking
//   TEI_URL=http://127.0.0.1:8080               a TEI server with an embedding model (BAAI/bge-small-en-v1.5)
//   TEI_RERANK_URL=http://127.0.0.1:8081        a TEI server with a reranker (BAAI/bge-reranker-base)
//   TEI_MODEL / TEI_RERANK_MODEL                the models those servers run, if not the defaults above
//   TEI_API_KEY=…                               if the TEI servers were started with --api-key
//   HF_CHAT_MODEL=org/model[:provider]          another chat model than the default
//
//   npm run example -w @ragbridge/adapter-hf
//
// Parts whose variables are missing are skipped; with none set it explains and exits 0.
import {
  createHfChatModel,
  createHfEmbedder,
  createHfReranker,
  createTeiEmbedder,
  createTeiReranker,
} from '@ragbridge/adapter-hf';
import type { EmbedderV1, RerankerV1, UsageEvent } from '@ragbridge/core-interfaces';

const env = process.env;
const hasToken = Boolean(env.HF_TOKEN?.trim());
const teiUrl = env.TEI_URL?.trim();
const teiRerankUrl = env.TEI_RERANK_URL?.trim();
const teiApiKey = () => env.TEI_API_KEY?.trim() || undefined;

if (!hasToken && !teiUrl && !teiRerankUrl) {
  console.log(`Nothing to run: set HF_TOKEN (https://huggingface.co/settings/tokens, "Make calls to Inference Providers")
and/or TEI_URL / TEI_RERANK_URL (TEI servers, e.g.
  docker run -p 8080:80 ghcr.io/huggingface/text-embeddings-inference:cpu-1.9 --model-id BAAI/bge-small-en-v1.5
  docker run -p 8081:80 ghcr.io/huggingface/text-embeddings-inference:cpu-1.9 --model-id BAAI/bge-reranker-base),
then run: npm run example -w @ragbridge/adapter-hf`);
  process.exit(0);
}

const SOURCES = [
  'The RV32I base integer instruction set has 32 general-purpose registers, x0 to x31; x0 is hardwired to zero.',
  'The FDA guidance describes software validation as confirmation by examination and provision of objective evidence.',
  'The vector extension adds 32 vector registers, v0 to v31, whose length VLEN is implementation-defined.',
];
const QUESTION = 'How many general-purpose registers does RV32I have?';

let failures = 0;

function describeUsage(usage: UsageEvent): string {
  const tokens = `${usage.inputTokens} in / ${usage.outputTokens} out${usage.tokensEstimated ? ' (estimated)' : ''}`;
  return `${tokens}, ${usage.latencyMs} ms${usage.provider ? `, provider ${usage.provider}` : ''}${usage.requestId ? `, request ${usage.requestId}` : ''}`;
}

async function part(name: string, run: () => Promise<void>): Promise<void> {
  console.log(`\n== ${name}`);
  try {
    await run();
  } catch (error) {
    failures++;
    // ragbridge errors name the backend, model and endpoint, and never contain the token.
    console.log(`FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot; // the vectors are normalized
}

async function embedAndRank(embedder: EmbedderV1): Promise<void> {
  const docs = await embedder.embed({ texts: SOURCES, inputType: 'document' });
  const query = await embedder.embed({ texts: [QUESTION], inputType: 'query' });
  const q = query.embeddings[0] ?? [];
  console.log(`identity: ${JSON.stringify(embedder.identity)}`);
  console.log(`${docs.embeddings.length} vectors of ${embedder.dimensions} dimensions; usage: ${describeUsage(docs.usage)}`);
  docs.embeddings.forEach((v, i) => console.log(`  cosine(question, source ${i + 1}) = ${cosine(q, v).toFixed(3)}`));
}

async function rerank(reranker: RerankerV1): Promise<void> {
  const { scores, usage } = await reranker.rerank({ query: QUESTION, texts: SOURCES });
  scores.forEach((s, i) => console.log(`  score(source ${i + 1}) = ${s.toFixed(4)}`));
  console.log(`usage: ${describeUsage(usage)}`);
}

if (hasToken) {
  const chat = createHfChatModel({ ...(env.HF_CHAT_MODEL && { model: env.HF_CHAT_MODEL }), reasoningEffort: 'low' });
  const messages = [
    { role: 'system' as const, content: 'Answer only from the numbered sources and cite them as [n].' },
    { role: 'user' as const, content: `Sources:\n${SOURCES.map((s, i) => `[${i + 1}] ${s}`).join('\n')}\n\nQuestion: ${QUESTION}` },
  ];
  await part(`chat generate (${chat.modelId})`, async () => {
    const result = await chat.generate({ messages, maxTokens: 400, temperature: 0 });
    console.log(`answer: ${result.text}\nfinish: ${result.finishReason}; usage: ${describeUsage(result.usage)}`);
  });
  await part(`chat stream (${chat.modelId})`, async () => {
    process.stdout.write('answer: ');
    for await (const piece of chat.stream({ messages, maxTokens: 400, temperature: 0 })) {
      if (piece.type === 'text-delta') process.stdout.write(piece.delta);
      else console.log(`\nfinish: ${piece.finishReason}; usage: ${describeUsage(piece.usage)}`);
    }
  });
  await part('hf-inference embeddings', () => embedAndRank(createHfEmbedder()));
  await part('hf-inference cross-encoder reranker', () => rerank(createHfReranker()));
} else {
  console.log('\n(HF_TOKEN not set: skipping Inference Providers chat and hf-inference embeddings/reranking)');
}

if (teiUrl) {
  await part(`TEI embeddings at ${teiUrl}`, () => embedAndRank(createTeiEmbedder({ baseUrl: teiUrl, apiKey: teiApiKey, ...(env.TEI_MODEL && { model: env.TEI_MODEL }) })));
} else {
  console.log('\n(TEI_URL not set: skipping the TEI embedder)');
}

if (teiRerankUrl) {
  await part(`TEI reranker at ${teiRerankUrl}`, () => rerank(createTeiReranker({ baseUrl: teiRerankUrl, apiKey: teiApiKey, ...(env.TEI_RERANK_MODEL && { model: env.TEI_RERANK_MODEL }) })));
} else {
  console.log('\n(TEI_RERANK_URL not set: skipping the TEI reranker)');
}

process.exitCode = failures > 0 ? 1 : 0;
