import { registerSecret } from '@ragbridge/core-interfaces';

/** Keys whose values are secrets in a configuration (tokens, keys, webhooks, headers). */
const SECRET_KEY = /token|api[-_]?key|secret|password|authorization|webhook/i;

/** Environment variable names whose values are secrets. */
const SECRET_ENV = /TOKEN|KEY|SECRET|PASSWORD|CREDENTIAL|AUTH/i;

/** True when a configuration key holds a secret (or, for `webhook`, an object of them). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * True when the value at `path` is a secret: some key on the path is secret-looking
 * (`token`, `apiKey`, `webhook.url`) or it is the value of a header.
 */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((key, i) => typeof key === 'string' && (isSecretKey(key) || (key === 'headers' && i < path.length - 1)));
}

/** True when an environment variable holds a secret, going by its name. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV.test(name);
}

/** Registers the password of a URL with user-info (a database URL) with the redactor, as written and decoded. */
export function registerUrlPassword(url: string): void {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  if (!password) return;
  registerSecret(password);
  try {
    registerSecret(decodeURIComponent(password));
  } catch {
    // Not percent-encoded as a URL should be: the raw form is registered.
  }
}
