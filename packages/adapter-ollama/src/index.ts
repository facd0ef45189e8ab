export type { OllamaChatModel, OllamaChatModelOptions } from './ollama-chat-model.js';
export { createOllamaChatModel } from './ollama-chat-model.js';
export type { OllamaEmbedder, OllamaEmbedderOptions } from './ollama-embedder.js';
export { createOllamaEmbedder } from './ollama-embedder.js';
export type { OllamaHealth, OllamaHealthOptions, OllamaModelHealth } from './ollama-health.js';
export { checkOllamaHealth } from './ollama-health.js';
export type { OllamaConnectionOptions } from './ollama-connection.js';
export { resolveOllamaHost } from './ollama-connection.js';
