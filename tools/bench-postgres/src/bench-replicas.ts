import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the demo app lives, from the repository root. */
const DEMO_DIR = 'apps/demo';

/**
 * The bench's configuration of the demo: the offline profile with the extractive answer step only,
 * no embedder and no reranker (keyword retrieval), no answer or embedding cache (every question is
 * retrieved), storage in the benchmark's PostgreSQL schema (URL from DATABASE_URL).
 */
export function replicaConfig(schema: string): string {
  return [
    '# Written by tools/bench-postgres: two demo replicas on one PostgreSQL schema.',
    'extends: offline',
    'models:',
    '  answer: { chain: [{ backend: extractive }] }',
    '  embedder: { chain: [] }',
    '  reranker: { chain: [] }',
    'storage:',
    '  kind: postgres',
    '  url: ${DATABASE_URL}',
    `  schema: ${schema}`,
    'caches:',
    '  answers: { enabled: false }',
    '  embeddings: { enabled: false }',
    '',
  ].join('\n');
}

/** A running demo server. */
export interface Replica {
  url: string;
  pid: number;
  /** The server's "storage …" start-up line (says PostgreSQL and where). */
  storageLine: string;
  readyMs: number;
  stop(): Promise<void>;
}

/** Options of {@link startReplica}. */
export interface ReplicaOptions {
  root: string;
  port: number;
  configPath: string;
  dataDir: string;
  databaseUrl: string;
}

/**
 * Starts the demo as `npm start -w @ragbridge/demo` does (its TypeScript sources through tsx), with
 * NODE_ENV=production, no per-client rate limit, and only the variables it needs (so a token in
 * the bench's environment cannot switch the profile). Resolves once `/health` answers.
 */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  mkdirSync(options.dataDir, { recursive: true });
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@ragbridge/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: join(options.root, DEMO_DIR),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      RAGBRIDGE_CONFIG: options.configPath,
      DATA_DIR: options.dataDir,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      RATE_LIMIT_PER_MINUTE: '100000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (part: Buffer) => (output += part.toString()));
  child.stderr?.on('data', (part: Buffer) => (output += part.toString()));
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the demo on port ${options.port} exited with ${child.exitCode}:\n${output.slice(-2000)}`);
    if (performance.now() - started > 120_000) {
      await stop();
      throw new Error(`the demo on port ${options.port} did not answer /health within 120 s:\n${output.slice(-2000)}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const storageLine = /storage (.*)/.exec(output)?.[1] ?? '(no storage line)';
  return { url, pid: child.pid as number, storageLine, readyMs: performance.now() - started, stop };
}

/** Writes the bench's demo configuration into `dir` and returns its path. */
export function writeReplicaConfig(dir: string, schema: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'ragbridge.yaml');
  writeFileSync(path, replicaConfig(schema));
  return path;
}
