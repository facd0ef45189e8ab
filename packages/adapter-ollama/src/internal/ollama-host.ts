/** Ollama's own default address. */
export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
const DEFAULT_PORT = '11434';

/** A resolved base URL without credentials, plus the credentials that were in it. */
export interface ResolvedOllamaHost {
  /** `scheme://host:port[/path]`, no trailing slash, always with an explicit port. */
  url: string;
  /** An `Authorization: Basic …` value when the address carried `user:password@`. */
  authorization?: string;
}

/**
 * Normalizes an Ollama address the way `OLLAMA_HOST` is written: `host`, `host:port`, `:port`,
 * `http://host`, `https://host/path`. The result always has an explicit port, because the
 * `ollama` client turns `http://host` without one into port 80: a missing port means 11434 for
 * `http` (and without a scheme) and 443 for `https`. `0.0.0.0` and `::` (bind-all addresses,
 * common in `OLLAMA_HOST` for the server) become the loopback address.
 */
export function normalizeOllamaHost(raw: string): ResolvedOllamaHost {
  let text = raw.trim();
  if (text === '') return { url: DEFAULT_OLLAMA_HOST };
  if (text.startsWith(':')) text = `127.0.0.1${text}`;
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(text)) text = `http://${text}`;
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`unsupported Ollama host scheme "${url.protocol}" (use http or https)`);
  }
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  else if (url.hostname === '[::]') url.hostname = '[::1]';
  // `URL` drops a port equal to the scheme's default (`http://proxy:80` has port ''), so look at
  // the text to tell "no port" from "port 80".
  const authority = (text.split('://')[1] ?? '').split(/[/?#]/)[0] ?? '';
  const explicitPort = /:(\d+)$/.exec(authority.slice(authority.lastIndexOf('@') + 1).replace(/^\[[^\]]*\]/, ''))?.[1];
  const port = explicitPort !== undefined ? String(Number(explicitPort)) : (url.protocol === 'https:' ? '443' : DEFAULT_PORT);
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  const path = url.pathname.replace(/\/+$/, '');
  const resolved: ResolvedOllamaHost = { url: `${url.protocol}//${url.hostname}:${port}${path}` };
  if (authorization !== undefined) resolved.authorization = authorization;
  return resolved;
}

/**
 * The Ollama address to call: `host` when given, else `OLLAMA_HOST` (read now, at call time),
 * else {@link DEFAULT_OLLAMA_HOST}; normalized by {@link normalizeOllamaHost}.
 */
export function resolveOllamaHostConfig(host: string | undefined): ResolvedOllamaHost {
  const fromEnv = typeof process === 'object' ? process.env.OLLAMA_HOST : undefined;
  return normalizeOllamaHost(host ?? fromEnv ?? DEFAULT_OLLAMA_HOST);
}
