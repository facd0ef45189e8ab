import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBuiltInProfile, type ResolvedConfig } from '@ragbridge/config-profiles';
import { createRuntime, type Runtime } from '@ragbridge/runtime';
import type { Hono } from 'hono';
import { createApp } from '../app.js';
import type { AppSettings } from '../settings.js';

export const OFFLINE_ADMIN_TOKEN = 'offline-admin-token-2718';

/** An offline runtime over a few text documents, and apps built over it with chosen settings. */
export interface OfflineApp {
  runtime: Runtime;
  dataDir: string;
  /** An app over the runtime (or `over`); settings default to an admin token, 4 answer slots and a high rate limit. */
  build(overrides?: Partial<AppSettings>, over?: Runtime): Hono;
  close(): Promise<void>;
}

/**
 * Starts the offline profile (keyword retrieval, extractive answers: no model, no network) in a
 * temporary folder and ingests `documents` (file name → text).
 */
export async function startOfflineApp(options: { documents: Record<string, string>; config?: ResolvedConfig }): Promise<OfflineApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rb-demo-offline-'));
  const corpusDir = join(dataDir, 'corpus');
  mkdirSync(corpusDir);
  const runtime = await createRuntime({
    config: options.config ?? getBuiltInProfile('offline'),
    env: {},
    baseDir: dataDir,
    storePath: join(dataDir, 'store.db'),
    ledgerPath: ':memory:',
    logger: { warn: () => undefined, info: () => undefined },
  });
  const files = Object.entries(options.documents).map(([name, text]) => {
    const path = join(corpusDir, name);
    writeFileSync(path, text);
    return path;
  });
  if (files.length > 0) await runtime.pipeline.ingest(files, { workers: 1 });
  const build = (overrides: Partial<AppSettings> = {}, over: Runtime = runtime): Hono =>
    createApp({
      runtime: over,
      settings: {
        host: '127.0.0.1',
        port: 0,
        maxUploadBytes: 64 * 1024,
        maxConcurrentRequests: 4,
        requestTimeoutMs: 5_000,
        adminToken: OFFLINE_ADMIN_TOKEN,
        rateLimitPerMinute: 1_000_000,
        uploadDir: join(dataDir, 'uploads'),
        corsOrigins: [],
        ...overrides,
      },
      publicDir: join(import.meta.dirname, '..', '..', 'public'),
      pdfjsDir: join(dataDir, 'pdfjs'),
      servableRoots: [corpusDir],
    });
  return { runtime, dataDir, build, close: () => runtime.close() };
}

/** Reads a gauge of the app's Prometheus metrics. */
export async function gauge(app: Hono, name: string): Promise<number> {
  const text = await (await app.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no metric ${name}`);
  return Number(line.slice(name.length + 1));
}
