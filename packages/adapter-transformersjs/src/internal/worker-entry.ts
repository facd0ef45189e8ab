import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the inference worker: the compiled `worker.js` beside this file when it exists (the
 * built package), otherwise the TypeScript source through tsx (development: vitest and
 * `node --import tsx` scripts). Node 20 does not pass `--import` loader hooks on to worker
 * threads, so the source variant boots with a few lines that register tsx inside the worker
 * before importing `worker.ts`.
 */
export function startWorker(workerData: unknown): Worker {
  const compiled = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData });
  const source = new URL('./worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(source))) {
    throw new Error(`The Transformers.js worker script is missing (${fileURLToPath(compiled)}); rebuild the package`);
  }
  const boot = [
    `import(${JSON.stringify(tsxApiUrl())})`,
    `.then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); })`,
    `.catch((error) => { setImmediate(() => { throw error; }); });`,
  ].join('');
  const options: WorkerOptions = { workerData, eval: true, execArgv: ['--conditions=@ragbridge/source'] };
  return new Worker(boot, options);
}

function tsxApiUrl(): string {
  try {
    const packageJson = createRequire(import.meta.url).resolve('tsx/package.json');
    return pathToFileURL(join(dirname(packageJson), 'dist', 'esm', 'api', 'index.mjs')).href;
  } catch (error) {
    throw new Error('Running the Transformers.js worker from TypeScript sources needs the "tsx" package; build the package or install tsx', {
      cause: error,
    });
  }
}
