import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { resolveConfig, type ResolveConfigOptions, type ResolvedConfig } from '@ragbridge/config-profiles';
import { createRuntime, type Runtime, type RuntimeOptions } from '@ragbridge/runtime';
import { prepareSampleCorpus, sampleCorpusSource } from '@ragbridge/sample-corpus';
import { createApp } from './app.js';
import { appSettings, type AppSettings } from './settings.js';
import { cleanUploadFolder } from './uploads.js';

/** The demo app's folder (apps/demo), from the source or the built file. */
export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Configuration resolution (profile, env, overrides); default: detected from the environment. */
  resolve?: ResolveConfigOptions;
  /** Passed to `createRuntime` (fetch for fakes, store path, ledger path). */
  runtime?: Omit<RuntimeOptions, 'config'>;
  /** Data folder (store, ledger, uploads); default DATA_DIR, else /data when writable (Spaces persistent storage), else ./data. */
  dataDir?: string;
  /** Ingest the sample corpus when the store is empty. @default true */
  sampleCorpus?: boolean;
  /** Port override (0 = any free port). */
  port?: number;
  /** Logs (startup lines); default console.log. */
  log?: (line: string) => void;
}

/** A running demo server. */
export interface RunningServer {
  url: string;
  runtime: Runtime;
  settings: AppSettings;
  /** Milliseconds from the call to listening with the store open. */
  readyMs: number;
  close(): Promise<void>;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where data lives: DATA_DIR, else /data if a Space has persistent storage mounted, else ./data. */
export function dataDirectory(env: Readonly<Record<string, string | undefined>>): string {
  if (env.DATA_DIR) return resolve(env.DATA_DIR);
  if (existsSync('/data') && writable('/data')) return '/data';
  return resolve('data');
}

/** Start-up cleanup of what interrupted or failed uploads left in the upload folder; a failure is logged, never fatal. */
async function cleanUploads(uploadDir: string, runtime: Runtime, log: (line: string) => void): Promise<void> {
  try {
    const { removed, restored, kept } = await cleanUploadFolder(uploadDir, runtime.pipeline.store);
    if (removed.length + restored.length > 0) log(`ragbridge demo: upload folder cleaned (${removed.length} left-over files or folders removed, ${restored.length} replaced files restored)`);
    if (kept.length > 0) log(`ragbridge demo: ${kept.length} uploaded files kept that no document references: stored documents of the same names have lost their files (was the data folder moved?)`);
  } catch (error) {
    log(`ragbridge demo: the upload folder could not be cleaned (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * The configuration the app runs, as `resolveConfig` finds it (a profile option, RAGBRIDGE_PROFILE,
 * a ragbridge.yaml, or detection from the environment): the `ragbridge` CLI resolves it the same way.
 */
export function resolveAppConfig(resolve: ResolveConfigOptions = {}): Promise<ResolvedConfig> {
  return resolveConfig({ ...resolve, env: resolve.env ?? process.env });
}

/**
 * Resolves the profile, composes the runtime, ingests the sample corpus on first start (so a
 * fresh clone has something to ask about), and serves the API and UI.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const env = options.resolve?.env ?? process.env;
  const resolved = await resolveAppConfig({ ...options.resolve, env });
  const dataDir = options.dataDir ?? dataDirectory(env);
  // A server lives long enough for a cold hosted model to finish loading in the background.
  const runtime = await createRuntime({ config: resolved, env, baseDir: dataDir, warmUpColdModels: true, ...options.runtime });
  const settings = appSettings(runtime.config, env, join(dataDir, 'uploads'));
  await cleanUploads(settings.uploadDir, runtime, log);
  const sampleDir = join(dataDir, 'sample');
  const require = createRequire(import.meta.url);
  const pdfjsDir = join(dirname(require.resolve('pdfjs-dist/package.json')), 'build');
  const app = createApp({ runtime, settings, publicDir: join(APP_DIR, 'public'), pdfjsDir, servableRoots: [sampleDir, sampleCorpusSource()] });

  const port = options.port ?? settings.port;
  const server: ServerType = await new Promise((ready) => {
    const s = serve({ fetch: app.fetch, hostname: settings.host, port }, () => ready(s));
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = settings.host === '0.0.0.0' ? 'localhost' : settings.host;
  const url = `http://${shownHost}:${actualPort}`;
  const readyMs = performance.now() - started;
  log(`ragbridge demo: profile ${runtime.profile} (${resolved.reason}); listening on ${url} (ready in ${Math.round(readyMs)} ms)`);
  // Where documents live: a SQLite file or PostgreSQL (the URL without user and password).
  log(`ragbridge demo: storage ${runtime.explain().storage}`);

  if (options.sampleCorpus !== false && (await runtime.pipeline.store.stats()).documents === 0) {
    log('ragbridge demo: empty store — ingesting the sample corpus (the project docs and a generated PDF)…');
    const files = await prepareSampleCorpus(sampleDir);
    const report = await runtime.pipeline.ingest(files, { workers: 1 });
    log(`ragbridge demo: sample corpus ready (${report.added.length + report.updated.length} documents, ${report.chunks} chunks). Open ${url}`);
  }

  return {
    url,
    runtime,
    settings,
    readyMs,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      await runtime.close();
    },
  };
}
