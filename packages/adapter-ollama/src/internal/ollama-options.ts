import { BadInputError } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { OLLAMA_BACKEND } from './ollama-transport.js';

// The option types are written out as documented interfaces (their doc comments and defaults
// survive into the published .d.ts, which zod-inferred types do not); each strict schema is
// checked against its interface at compile time: `OptionsShape` makes the schema name exactly
// the interface's fields, and a `z.ZodType<T, T>` annotation makes their types agree.

/** One schema per field of `T`, no more, no fewer. */
export type OptionsShape<T> = { [K in keyof Required<T>]: z.ZodType };

/** `keep_alive` as Ollama accepts it: seconds (negative = forever) or a Go duration string (`"5m"`, `"1h30m"`, `"0"`). */
export const keepAliveSchema = z.union([
  z.number().finite(),
  z.string().regex(/^(0|[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$/, 'a Go duration such as "5m", "1h" or "0", or a number of seconds'),
]);

/** Schemas of {@link OllamaConnectionOptions}. */
export const connectionShape = {
  host: z.string().trim().min(1).optional(),
  fetch: z.custom<typeof globalThis.fetch>((value) => typeof value === 'function', 'a fetch function').optional(),
  headers: z.record(z.string(), z.string()).optional(),
};

/** Parses factory options with a strict schema; a mistake throws {@link BadInputError} naming the field. */
export function parseOptions<T>(schema: z.ZodType<T, T>, options: unknown, what: string): T {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const model = typeof (options as { model?: unknown } | undefined)?.model === 'string' ? (options as { model: string }).model : undefined;
  throw new BadInputError({
    backend: OLLAMA_BACKEND,
    ...(model !== undefined && model !== '' && { modelId: model }),
    message: `Invalid ${what} options: ${z.prettifyError(result.error).replace(/\n/g, '; ')}`,
  });
}
