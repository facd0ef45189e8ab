import { isAbsolute } from 'node:path';
import { BadInputError, type BackendName } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { TransformersDtype } from './transformers-model-info.js';

/** The backend name every Transformers.js adapter reports. */
export const TRANSFORMERSJS_BACKEND = 'transformersjs' satisfies BackendName;

const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const satisfies readonly TransformersDtype[];

const absolutePath = z
  .string()
  .min(1)
  .refine((path) => isAbsolute(path), { message: 'must be an absolute path (Transformers.js resolves relative paths against its own package folder)' });

/** Options every Transformers.js part takes: where the model comes from and how it runs. */
const modelSourceShape = {
  /**
   * Hugging Face Hub model id (`org/name`) or an absolute path to a model folder. The folder
   * holds `config.json`, `tokenizer.json`, `tokenizer_config.json` and `onnx/model{suffix}.onnx`.
   */
  model: z.string().min(1).optional(),
  /**
   * Weight precision; picks `onnx/model.onnx` (fp32), `model_quantized.onnx` (q8), `model_q4.onnx`
   * (q4) and so on. The file must exist in the model repository or folder.
   */
  dtype: z.enum(DTYPES).optional(),
  /** Absolute folder Transformers.js looks in first, as `<localModelPath>/<org>/<name>/`. @default the Transformers.js package's `models/` folder */
  localModelPath: absolutePath.optional(),
  /** Absolute folder downloads are cached in, as `<cacheDir>/<org>/<name>/`. @default the Transformers.js package's `.cache/` folder */
  cacheDir: absolutePath.optional(),
  /**
   * Whether a model missing locally may be downloaded from the Hugging Face Hub. `false` is the
   * offline switch: nothing is downloaded and a missing file fails with ModelNotFoundError.
   * @default false when the environment variable HF_HUB_OFFLINE is "1" (read at the first call), true otherwise
   */
  allowRemoteModels: z.boolean().optional(),
  /** Hub revision (branch, tag or commit) to download. @default 'main' */
  revision: z.string().min(1).optional(),
  /** Threads ONNX Runtime uses within one inference. @default ONNX Runtime's choice (one per core) */
  threads: z.number().int().positive().max(256).optional(),
};

/** Options of {@link createTransformersEmbedder}. */
export const transformersEmbedderOptionsSchema = z.strictObject({
  ...modelSourceShape,
  /** How token vectors become one vector. @default 'mean' */
  pooling: z.enum(['mean', 'cls', 'last-token']).optional(),
  /** L2-normalize vectors. @default true */
  normalize: z.boolean().optional(),
  /** Text put before every query (`inputType: 'query'`), e.g. `query: ` for E5 models. */
  queryPrefix: z.string().optional(),
  /** Text put before every document, e.g. `passage: `. */
  documentPrefix: z.string().optional(),
  /** Texts run through the model at once; larger calls are split. @default 32 */
  maxBatchSize: z.number().int().positive().max(4096).optional(),
});

/** Options of {@link createTransformersEmbedder}; every field is optional. */
export type TransformersEmbedderOptions = z.infer<typeof transformersEmbedderOptionsSchema>;

/**
 * The options a configuration step of {@link createTransformersEmbedder} may set (`models.embedder.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, which the step names, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const transformersEmbedderStepOptionsSchema = transformersEmbedderOptionsSchema.omit({ model: true });

/** Options of a `transformersjs` embedder step in configuration. */
export type TransformersEmbedderStepOptions = z.input<typeof transformersEmbedderStepOptionsSchema>;

/** Options of {@link createTransformersReranker}. */
export const transformersRerankerOptionsSchema = z.strictObject({
  ...modelSourceShape,
  /** Query/text pairs scored at once; larger calls are split. @default 32 */
  maxBatchSize: z.number().int().positive().max(4096).optional(),
});

/** Options of {@link createTransformersReranker}; every field is optional. */
export type TransformersRerankerOptions = z.infer<typeof transformersRerankerOptionsSchema>;

/**
 * The options a configuration step of {@link createTransformersReranker} may set (`models.reranker.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, which the step names, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const transformersRerankerStepOptionsSchema = transformersRerankerOptionsSchema.omit({ model: true });

/** Options of a `transformersjs` reranker step in configuration. */
export type TransformersRerankerStepOptions = z.input<typeof transformersRerankerStepOptionsSchema>;

/** Options of {@link createTransformersChatModel}. */
export const transformersChatModelOptionsSchema = z.strictObject({
  ...modelSourceShape,
  /** Generated tokens when a call sets no `maxTokens`. @default 256 */
  maxTokens: z.number().int().positive().optional(),
});

/** Options of {@link createTransformersChatModel}; every field is optional. */
export type TransformersChatModelOptions = z.infer<typeof transformersChatModelOptionsSchema>;

/**
 * The options a configuration step of {@link createTransformersChatModel} may set (`models.answer.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, which the step names, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const transformersChatStepOptionsSchema = transformersChatModelOptionsSchema.omit({ model: true });

/** Options of a `transformersjs` answer step in configuration. */
export type TransformersChatStepOptions = z.input<typeof transformersChatStepOptionsSchema>;

/** Validates factory options, throwing {@link BadInputError} that lists every problem. */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown, factory: string): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new BadInputError({
    backend: TRANSFORMERSJS_BACKEND,
    message: `Invalid ${factory} options: ${result.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; ')}`,
    hint: 'Fix the options as the message says; see the @ragbridge/adapter-transformersjs README for each option.',
  });
}

/** The default of `allowRemoteModels`, read from the environment when a model first loads. */
export function defaultAllowRemoteModels(): boolean {
  return process.env.HF_HUB_OFFLINE !== '1';
}
