import type { RagbridgeConfig } from '@ragbridge/config-profiles';

/**
 * Which `X-Forwarded-For` entries name the client (the configuration's `server.trustProxy`): `false`,
 * none; n, the entry n from the right; a list of proxy addresses / CIDRs, the rightmost entry
 * outside it.
 */
export type TrustProxy = RagbridgeConfig['server']['trustProxy'];

/** Settings of the HTTP app: the configuration's `server` section plus what only the app needs. */
export interface AppSettings {
  host: string;
  port: number;
  /** Largest upload in bytes. */
  maxUploadBytes: number;
  /** Questions answered at once; more get 429 (the UI retries). */
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  /** Token required for deletion, re-index and budget changes; without one those routes are closed. */
  adminToken?: string;
  /** Requests per client per minute on the API (uploads and questions count). */
  rateLimitPerMinute: number;
  /** Where uploaded files are kept (the viewer serves them back). */
  uploadDir: string;
  /** Origins browsers may call the API from (`*` for any); empty: no CORS headers. */
  corsOrigins: string[];
  /** Which `X-Forwarded-For` entry names the client (the configuration's `server.trustProxy`). @default false */
  trustProxy?: TrustProxy;
}

/** Reads the app settings from the configuration and the environment (`PORT`, `HOST`, `ADMIN_TOKEN`, `RATE_LIMIT_PER_MINUTE`). */
export function appSettings(config: RagbridgeConfig, env: Readonly<Record<string, string | undefined>>, uploadDir: string): AppSettings {
  const server = config.server;
  const port = env.PORT !== undefined && /^\d+$/.test(env.PORT) ? Number(env.PORT) : server.port;
  const rate = env.RATE_LIMIT_PER_MINUTE !== undefined && /^\d+$/.test(env.RATE_LIMIT_PER_MINUTE) ? Number(env.RATE_LIMIT_PER_MINUTE) : 60;
  return {
    host: env.HOST ?? server.host,
    port,
    maxUploadBytes: server.maxUploadMb * 1024 * 1024,
    maxConcurrentRequests: server.maxConcurrentRequests,
    requestTimeoutMs: server.requestTimeoutMs,
    ...(env.ADMIN_TOKEN ? { adminToken: env.ADMIN_TOKEN } : {}),
    rateLimitPerMinute: rate,
    uploadDir,
    corsOrigins: server.corsOrigins,
    trustProxy: server.trustProxy,
  };
}
