import { describeChatModelConformance, describeEmbedderConformance } from '@ragbridge/core-interfaces/testing';
import { fakeServerFaults, ollamaFaultPresets, startFakeOllama } from '@ragbridge/testkit';
import { afterAll } from 'vitest';
import { createOllamaChatModel } from './ollama-chat-model.js';
import { createOllamaEmbedder } from './ollama-embedder.js';

// The same promises as every other backend, against the fake Ollama speaking the real wire format.
// The secret is an auth-proxy key sent as a header: it must never show up in an error.
const secret = 'proxy-key-3f9a1c7e5b2d';
const headers = { Authorization: `Bearer ${secret}` };

const chatServer = await startFakeOllama();
const embedServer = await startFakeOllama();
afterAll(async () => {
  await Promise.all([chatServer.close(), embedServer.close()]);
});

const lastChatTexts = (): string[] => {
  const body = chatServer.requestsTo('ollama.chat').at(-1)?.json as { messages?: Array<{ content: string }> } | undefined;
  return (body?.messages ?? []).map((m) => m.content);
};

describeChatModelConformance('Ollama /api/chat (fake Ollama)', {
  create: () => createOllamaChatModel({ model: 'llama3.2:3b', host: chatServer.url, headers, keepAlive: '5m', numCtx: 8192 }),
  faults: fakeServerFaults(chatServer, ollamaFaultPresets, ['ollama.chat']),
  secret,
  quotesContext: true,
  receivedTexts: lastChatTexts,
});

const embeddedTexts = (): string[] =>
  embedServer.requestsTo('ollama.embed').flatMap((request) => {
    const input = (request.json as { input?: unknown } | undefined)?.input;
    return Array.isArray(input) ? input.filter((t): t is string => typeof t === 'string') : typeof input === 'string' ? [input] : [];
  });

// nomic-embed-text: known prefixes (search_query: / search_document:), 768 dimensions, default batch size.
describeEmbedderConformance('Ollama /api/embed with nomic-embed-text (fake Ollama)', {
  create: () => createOllamaEmbedder({ model: 'nomic-embed-text', host: embedServer.url, headers }),
  faults: fakeServerFaults(embedServer, ollamaFaultPresets, ['ollama.embed']),
  secret,
  receivedTexts: embeddedTexts,
});

// all-minilm with a small batch size and no prefixes: splitting and reassembly under load.
describeEmbedderConformance('Ollama /api/embed with all-minilm, maxBatchSize 4 (fake Ollama)', {
  create: () => createOllamaEmbedder({ model: 'all-minilm', host: embedServer.url, maxBatchSize: 4 }),
  faults: fakeServerFaults(embedServer, ollamaFaultPresets, ['ollama.embed']),
  receivedTexts: embeddedTexts,
});
