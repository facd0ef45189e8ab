import { AuthenticationError, registerSecret, type CallTarget } from '@ragbridge/core-interfaces';

/** A token, or a function returning one at call time (e.g. from a secret store). */
export type SecretSource = string | (() => string | undefined | Promise<string | undefined>);

/** An environment variable, read when called (never at import time); undefined outside Node. */
export function environment(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}

/**
 * Reads a secret when a call is made, never earlier: the option first, then the environment
 * variable `envName` when given. The value is registered so that error messages redact it.
 */
export async function readSecret(source: SecretSource | undefined, envName?: string): Promise<string | undefined> {
  const raw = typeof source === 'function' ? await source() : (source ?? (envName ? environment(envName) : undefined));
  const value = raw?.trim();
  if (!value) return undefined;
  registerSecret(value);
  return value;
}

/** A token read for one call, and whether it came from `HF_TOKEN` (which goes to Hugging Face hosts only). */
export interface HfToken {
  value: string | undefined;
  fromEnvironment: boolean;
}

/**
 * Reads the Hugging Face token for one call: the `token` option, else `HF_TOKEN`. With `required`
 * (calls through Hugging Face's router), no token is an {@link AuthenticationError} with advice.
 */
export async function readHfToken(source: SecretSource | undefined, target: CallTarget, required: boolean): Promise<HfToken> {
  const value = await readSecret(source, 'HF_TOKEN');
  const token = { value, fromEnvironment: source === undefined && value !== undefined };
  if (value || !required) return token;
  throw noHfToken(target);
}

function noHfToken(target: CallTarget): AuthenticationError {
  return new AuthenticationError({
    ...target,
    message: 'No Hugging Face token',
    hint: 'Set HF_TOKEN (a token from https://huggingface.co/settings/tokens with "Make calls to Inference Providers" permission) or pass `token`.',
  });
}
