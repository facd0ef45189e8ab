// Answers a question from a few passages with a local Ollama: health check, embeddings to pick
// the passages, a streamed answer. Run it against a real Ollama (see the README for `ollama pull`):
//   npx tsx examples/ask-ollama.ts "How many registers does RV32I have?"
// In this repository: node --conditions=@ragbridge/source --import tsx packages/adapter-ollama/examples/ask-ollama.ts
import { checkOllamaHealth, createOllamaChatModel, createOllamaEmbedder } from '@ragbridge/adapter-ollama';
import { pathToFileURL } from 'node:url';

/** What {@link askOllama} takes. */
export interface AskOllamaOptions {
  question: string;
  passages: string[];
  /** @default OLLAMA_HOST or http://127.0.0.1:11434 */
  host?: string;
  /** @default 'llama3.2:3b' */
  chatModel?: string;
  /** @default 'nomic-embed-text' */
  embedModel?: string;
  /** Receives the answer as it streams. */
  onDelta?: (text: string) => void;
}

const dot = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

/** Picks the two passages nearest to the question and streams a cited answer from them. */
export async function askOllama(options: AskOllamaOptions): Promise<{ answer: string; sources: string[] }> {
  const chatModel = options.chatModel ?? 'llama3.2:3b';
  const embedModel = options.embedModel ?? 'nomic-embed-text';
  const host = options.host;

  const health = await checkOllamaHealth({ ...(host && { host }), models: [chatModel, embedModel] });
  if (!health.ok) throw new Error(health.problems.join('\n'));

  const embedder = createOllamaEmbedder({ model: embedModel, ...(host && { host }) });
  const [query] = (await embedder.embed({ texts: [options.question], inputType: 'query' })).embeddings;
  const docs = (await embedder.embed({ texts: options.passages, inputType: 'document' })).embeddings;
  // Ollama's vectors are unit length (embedder.identity.normalized), so the dot product is the cosine.
  const sources = options.passages
    .map((text, i) => ({ text, score: dot(query ?? [], docs[i] ?? []) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 2)
    .map((p) => p.text);

  const chat = createOllamaChatModel({ model: chatModel, numCtx: 8192, temperature: 0, ...(host && { host }) });
  let answer = '';
  for await (const part of chat.stream({
    messages: [
      { role: 'system', content: 'Answer only from the numbered sources and cite them as [n].' },
      { role: 'user', content: `Sources:\n${sources.map((s, i) => `[${i + 1}] ${s}`).join('\n')}\n\nQuestion: ${options.question}` },
    ],
    abortSignal: AbortSignal.timeout(120_000),
  })) {
    if (part.type === 'text-delta') {
      answer += part.delta;
      options.onDelta?.(part.delta);
    } else {
      console.error(`\n[${part.usage.inputTokens} prompt tokens, ${part.usage.outputTokens} generated, ${part.usage.latencyMs} ms]`);
    }
  }
  return { answer, sources };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await askOllama({
    question: process.argv[2] ?? 'How many registers does RV32I have?',
    passages: [
      'The RV32I base integer instruction set has 32 general-purpose registers, x0 to x31.',
      'Register x0 is hardwired to the constant 0.',
      'The FDA guidance describes software validation for medical devices.',
    ],
    onDelta: (text) => process.stdout.write(text),
  });
  process.stdout.write('\n');
}
