import { BadInputError } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { ResilienceEventListener } from '../resilience-events.js';

/** A {@link Clock}: an object with `now()` and `sleep()`. */
export const clockSchema = z.custom<Clock>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Clock).now === 'function' &&
    typeof (value as Clock).sleep === 'function',
  'must be a clock with now() and sleep(ms, signal)',
);

/** An `onEvent` listener. */
export const listenerSchema = z.custom<ResilienceEventListener>((value) => typeof value === 'function', 'must be a function');

/** Any function (checked to be callable; its signature is the TypeScript type's job). */
export function functionSchema<F>(): z.ZodType<F, F> {
  return z.custom<F>((value) => typeof value === 'function', 'must be a function');
}

/** Parses options with a strict schema; a mistake is a {@link BadInputError} naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(options)'}: ${issue.message}`);
  throw new BadInputError({
    backend: 'resilience',
    message: `Invalid ${what} options: ${problems.join('; ')}`,
    hint: 'Fix the options as the message says; see the @ragbridge/resilience README for each option.',
  });
}
