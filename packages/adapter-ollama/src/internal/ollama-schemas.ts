import { z } from 'zod';

// Tolerant schemas for what Ollama sends: unknown fields pass, optional metrics may be absent
// (Ollama omits zero-valued metric fields).

const count = z.number().int().nonnegative().optional();

/** One `/api/chat` reply (non-streaming) or stream line. */
export const ollamaChatChunkSchema = z.looseObject({
  model: z.string().optional(),
  message: z.looseObject({ role: z.string().optional(), content: z.string().nullish() }).optional(),
  done: z.boolean(),
  done_reason: z.string().nullish(),
  prompt_eval_count: count,
  eval_count: count,
});
export type OllamaChatChunk = z.infer<typeof ollamaChatChunkSchema>;

/** The `/api/embed` reply. */
export const ollamaEmbedResponseSchema = z.looseObject({
  model: z.string().optional(),
  embeddings: z.array(z.array(z.number())),
  prompt_eval_count: count,
});
export type OllamaEmbedResponse = z.infer<typeof ollamaEmbedResponseSchema>;

/** The `/api/tags` reply. */
export const ollamaTagsResponseSchema = z.looseObject({
  models: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        model: z.string().optional(),
        digest: z.string().optional(),
        size: z.number().optional(),
      }),
    )
    .nullish(),
});
export type OllamaTagsResponse = z.infer<typeof ollamaTagsResponseSchema>;

/** The `/api/version` reply. */
export const ollamaVersionResponseSchema = z.looseObject({ version: z.string() });
