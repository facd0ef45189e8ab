import { AuthenticationError, registerSecret, type CallTarget } from '@ragbridge/core-interfaces';

/** A token, or a function returning one at call time (e.g. from a secret store). */
export type SecretSource = string | (() => string | undefined | Promise<string | undefined>);

function environment(name: string): string | undefined {
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

/** Reads the Hugging Face token (option, then `HF_TOKEN`), failing with advice when there is none. */
export async function requireHfToken(source: SecretSource | undefined, target: CallTarget): Promise<string> {
  const token = await readSecret(source, 'HF_TOKEN');
  if (token) return token;
  throw new AuthenticationError({
    ...target,
    message: 'No Hugging Face token',
    hint: 'Set HF_TOKEN (a token from https://huggingface.co/settings/tokens with "Make calls to Inference Providers" permission) or pass `token`.',
  });
}
