import { resolveOllamaHostConfig } from './internal/ollama-host.js';

/** Where the Ollama server is and how to talk to it; every factory and the health check take these. */
export interface OllamaConnectionOptions {
  /**
   * Ollama address: `http://host:port`, `host:port` or `:port` (as `OLLAMA_HOST` is written). Read
   * from `OLLAMA_HOST` at call time when absent. A missing port means 11434 (443 for `https`).
   * @default process.env.OLLAMA_HOST ?? 'http://127.0.0.1:11434'
   */
  host?: string;
  /** The fetch implementation (tests point it at a fake server). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /**
   * Extra headers on every request, e.g. the key of an auth proxy in front of Ollama. Values of
   * auth-like headers (`Authorization`, `*-Key`, `*Token*`, …) are registered as secrets and
   * redacted from every error.
   */
  headers?: Record<string, string>;
}

/**
 * The address the adapters will call for `host`: `host` when given, else `OLLAMA_HOST` (read at
 * call time), else `http://127.0.0.1:11434`; normalized to `scheme://host:port[/path]`. A missing
 * scheme means `http`; a missing port means 11434 (443 for `https`); `0.0.0.0` means loopback.
 * Credentials in the address are left out (the adapters send them as a Basic authorization header).
 *
 * @example resolveOllamaHost('localhost') // 'http://localhost:11434'
 */
export function resolveOllamaHost(host?: string): string {
  return resolveOllamaHostConfig(host).url;
}
