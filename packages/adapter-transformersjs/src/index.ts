export type { TransformersChatModel } from './transformers-chat-model.js';
export { createTransformersChatModel, DEFAULT_TRANSFORMERS_CHAT_MODEL } from './transformers-chat-model.js';
export type { TransformersEmbedder } from './transformers-embedder.js';
export { createTransformersEmbedder, DEFAULT_TRANSFORMERS_EMBEDDING_MODEL } from './transformers-embedder.js';
export type { TransformersReranker } from './transformers-reranker.js';
export { createTransformersReranker, DEFAULT_TRANSFORMERS_RERANKER_MODEL } from './transformers-reranker.js';
export type {
  TransformersDtype,
  TransformersModelControls,
  TransformersModelFile,
  TransformersModelInfo,
  TransformersModelTask,
} from './transformers-model-info.js';
export type {
  TransformersChatModelOptions,
  TransformersChatStepOptions,
  TransformersEmbedderOptions,
  TransformersEmbedderStepOptions,
  TransformersRerankerOptions,
  TransformersRerankerStepOptions,
} from './transformers-options.js';
export {
  TRANSFORMERSJS_BACKEND,
  transformersChatStepOptionsSchema,
  transformersEmbedderStepOptionsSchema,
  transformersRerankerStepOptionsSchema,
} from './transformers-options.js';
