import { BadInputError } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { Clock } from '../clock.js';

/** Parses options with a strict schema; a mistake becomes a {@link BadInputError} naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new BadInputError({
    backend: 'cost-monitor',
    message: `Invalid ${what} options: ${problems.join('; ')}`,
    hint: 'Fix the options as the message says (see the @ragbridge/cost-monitor README).',
  });
}

/** An injectable clock option. */
export const clockSchema = z.custom<Clock>((v) => typeof (v as Clock)?.now === 'function', 'must have now()');

/** Dollars with as many decimals as small amounts need: `$25.00`, `$0.0100`, `$0.000050`. */
export const usd = (n: number): string => `$${n.toFixed(n >= 1 ? 2 : n >= 0.01 ? 4 : 6)}`;
