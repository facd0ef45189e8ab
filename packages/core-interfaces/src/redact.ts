const REGISTRY_KEY = Symbol.for('@ragbridge/secret-registry');

type SecretRegistry = Set<string>;

function registry(): SecretRegistry {
  const holder = globalThis as unknown as Record<symbol, SecretRegistry | undefined>;
  let set = holder[REGISTRY_KEY];
  if (!set) {
    set = new Set<string>();
    holder[REGISTRY_KEY] = set;
  }
  return set;
}

/**
 * Registers a secret (token, API key) so that {@link redactSecrets} removes it from any text,
 * including error messages built by other copies of this package. Adapters call this when they
 * read a token. Values shorter than 6 characters are ignored (they would redact ordinary words).
 */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) registry().add(value);
}

const PATTERNS: Array<[RegExp, string]> = [
  [/\bhf_[A-Za-z0-9]{6,}\b/g, 'hf_[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\b(api[_-]?key|access[_-]?token|token|secret|password)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, '$1$2[redacted]'],
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
];

/**
 * Removes registered secrets, Hugging Face tokens, bearer credentials, `key=value` secrets and
 * URL user-info from text. Used for every error message, log line and API response.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registry()) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A URL safe to show: no user-info, secret-looking query values redacted. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/key|token|secret|password|sig/i.test(key)) parsed.searchParams.set(key, 'redacted');
    }
    return redactSecrets(parsed.toString());
  } catch {
    return redactSecrets(url);
  }
}
