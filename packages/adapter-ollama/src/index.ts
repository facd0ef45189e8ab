export type { OllamaChatModel, OllamaChatModelOptions, OllamaChatStepOptions } from './ollama-chat-model.js';
export { createOllamaChatModel, ollamaChatStepOptionsSchema } from './ollama-chat-model.js';
export type { OllamaEmbedder, OllamaEmbedderOptions, OllamaEmbedderStepOptions } from './ollama-embedder.js';
export { createOllamaEmbedder, ollamaEmbedderStepOptionsSchema } from './ollama-embedder.js';
export type { OllamaHealth, OllamaHealthOptions, OllamaModelHealth } from './ollama-health.js';
export { checkOllamaHealth } from './ollama-health.js';
export type { OllamaConnectionOptions } from './ollama-connection.js';
export { resolveOllamaHost } from './ollama-connection.js';
