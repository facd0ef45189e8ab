// Runs the three Transformers.js parts on their real default models:
//   embeddings  Xenova/all-MiniLM-L6-v2           onnx/model_quantized.onnx (q8)
//   reranking   Xenova/ms-marco-MiniLM-L-6-v2     onnx/model_quantized.onnx (q8)
//   chat        HuggingFaceTB/SmolLM2-135M-Instruct  onnx/model_q4.onnx (q4)
// Not run in CI: the first run downloads them from the Hugging Face Hub (roughly 250 MB).
//
//   npm run example -w @ragbridge/adapter-transformersjs                          download if needed, then run
//   npm run example -w @ragbridge/adapter-transformersjs -- --download-only       only fill the cache (pre-download)
//   npm run example -w @ragbridge/adapter-transformersjs -- --offline             no network: fails clearly if a file is missing
//   ... -- --cache-dir /srv/ragbridge-models                                       another cache folder (default .ragbridge/models)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createTransformersChatModel,
  createTransformersEmbedder,
  createTransformersReranker,
  type TransformersModelInfo,
} from '@ragbridge/adapter-transformersjs';

const { values: args } = parseArgs({
  options: {
    'cache-dir': { type: 'string', default: '.ragbridge/models' },
    offline: { type: 'boolean', default: false },
    'download-only': { type: 'boolean', default: false },
  },
});
const options = { cacheDir: resolve(args['cache-dir']), allowRemoteModels: !args.offline };
console.log(`cache ${options.cacheDir}; downloads ${options.allowRemoteModels ? 'allowed' : 'off'}`);

const embedder = createTransformersEmbedder(options);
const reranker = createTransformersReranker(options);
const chat = createTransformersChatModel(options);

function report(info: TransformersModelInfo): void {
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  console.log(
    `${info.modelId} (${info.dtype}): files ${mb(info.fileBytes)}, RSS +${mb(info.rssDeltaBytes)} while loading, loaded in ${(info.loadMs / 1000).toFixed(1)} s`,
  );
}

// Loading one after another keeps each memory figure about one model.
for (const part of [embedder, reranker, chat]) report(await part.load());
if (args['download-only']) process.exit(0);

function cosine(a: number[], b: number[]): number {
  // The vectors are normalized, so the dot product is the cosine.
  return a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
}

const SOURCES = [
  'The RV32I base integer instruction set has 32 general-purpose registers, x0 to x31; x0 is hardwired to zero.',
  'The FDA guidance describes software validation as confirmation by examination and provision of objective evidence.',
  'The vector extension adds 32 vector registers, v0 to v31, whose length VLEN is implementation-defined.',
];
const QUESTION = 'How many general-purpose registers does RV32I have?';

const [query, documents] = await Promise.all([
  embedder.embed({ texts: [QUESTION], inputType: 'query' }),
  embedder.embed({ texts: SOURCES }),
]);
const similarities = documents.embeddings.map((v) => cosine(query.embeddings[0] ?? [], v).toFixed(3));
console.log(`\nembedding similarities to the question: ${similarities.join(', ')} (${documents.usage.inputTokens} tokens)`);

const { scores } = await reranker.rerank({ query: QUESTION, texts: SOURCES });
console.log(`reranker scores: ${scores.map((s) => s.toFixed(3)).join(', ')}`);

process.stdout.write('\nanswer: ');
for await (const part of chat.stream({
  messages: [
    { role: 'system', content: 'Answer from the numbered sources and cite them as [n].' },
    { role: 'user', content: `Sources:\n${SOURCES.map((s, i) => `[${i + 1}] ${s}`).join('\n')}\n\nQuestion: ${QUESTION}` },
  ],
  maxTokens: 80,
  temperature: 0,
})) {
  if (part.type === 'text-delta') process.stdout.write(part.delta);
  else console.log(`\n(${part.finishReason}; ${part.usage.inputTokens} tokens in, ${part.usage.outputTokens} out, ${part.usage.latencyMs} ms)`);
}
