import { BadInputError } from '@ragbridge/core-interfaces';
import { z } from 'zod';

/** Parses options with a strict schema; a mistake becomes a {@link BadInputError} naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new BadInputError({
    backend: 'caches',
    message: `Invalid ${what} options: ${problems.join('; ')}`,
    hint: 'Fix the options as the message says (see the @ragbridge/caches README).',
  });
}

/** A source of the current time (epoch ms); tests inject one to move time without sleeping. */
export interface CacheClock {
  now(): number;
}

/** The wall clock. */
export const systemClock: CacheClock = { now: () => Date.now() };

/** An injectable clock option. */
export const clockSchema = z.custom<CacheClock>((v) => typeof (v as CacheClock)?.now === 'function', 'must have now()');
