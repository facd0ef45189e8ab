import { BadInputError, type CallTarget } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { SecretSource } from './secrets.js';

/** A token string or a function returning one at call time. */
export const secretSchema = z.custom<SecretSource>(
  (value) => typeof value === 'string' || typeof value === 'function',
  'must be a string or a function returning one',
);

/** A `fetch`-compatible function. */
export const fetchSchema = z.custom<typeof fetch>((value) => typeof value === 'function', 'must be a fetch function');

/** Extra HTTP headers. */
export const headersSchema = z.record(z.string(), z.string());

/** An http(s) URL. */
export const httpUrlSchema = z.string().refine((value) => /^https?:\/\/[^\s]+$/i.test(value), 'must be an http(s) URL');

/** Parses options with a strict schema; a mistake is a {@link BadInputError} naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, target: CallTarget): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new BadInputError({
    ...target,
    message: `Invalid options: ${z.prettifyError(result.error).replace(/\n+/g, '; ')}`,
    hint: 'Fix the options as the message says; see the @ragbridge/adapter-hf README for each option.',
  });
}
