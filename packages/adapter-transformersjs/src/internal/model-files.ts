/**
 * Where a model's files are looked for, and which of them a load cannot do without. Shared by the
 * worker (which checks before Transformers.js loads anything) and the calling thread (which, with
 * downloads off, checks before it starts a worker at all), so both name the same files and folders.
 * Plain `node:fs` only: importing Transformers.js here would load ONNX Runtime on the calling thread.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { DTYPE_SUFFIXES, type ModelLoadConfig, type TransformersDtype, type WorkerFailure } from './protocol.js';

/** The two roots Transformers.js resolves a model id against (`env.localModelPath`, `env.cacheDir`). */
export interface ModelSearchRoots {
  localModelPath: string;
  cacheDir: string | null | undefined;
}

/** The ONNX file `dtype` selects, inside the model folder. */
export function onnxFileFor(dtype: TransformersDtype): string {
  return `onnx/model${DTYPE_SUFFIXES[dtype]}.onnx`;
}

/** Folders Transformers.js reads this model from, in lookup order. */
export function modelFoldersFor(config: Pick<ModelLoadConfig, 'model' | 'revision'>, roots: ModelSearchRoots): string[] {
  if (isAbsolute(config.model)) return [config.model];
  const { cacheDir } = roots;
  const cache = cacheDir ? [config.revision === 'main' ? join(cacheDir, config.model) : join(cacheDir, config.model, config.revision)] : [];
  return [join(roots.localModelPath, config.model), ...cache];
}

/**
 * The files every load needs, each in any one of the folders. The ONNX external-data file and
 * `generation_config.json` are optional, so they are not listed.
 */
export function requiredModelFiles(dtype: TransformersDtype): string[] {
  return ['config.json', 'tokenizer.json', 'tokenizer_config.json', onnxFileFor(dtype)];
}

/** The required files found in none of `folders`. */
export function missingModelFiles(dtype: TransformersDtype, folders: string[]): string[] {
  return requiredModelFiles(dtype).filter((file) => !folders.some((folder) => statSync(join(folder, file), { throwIfNoEntry: false })?.isFile()));
}

let defaultRoots: ModelSearchRoots | null | undefined;

/**
 * Transformers.js's default roots as the worker will see them: `models/` and `.cache/` in the
 * folder of the installed package (its env.js takes the folder above its `dist/` file). Resolved
 * from this file, like the worker's import, so both find the same copy of the package. Null when
 * the package cannot be located this way (e.g. bundled); then only the worker can tell.
 */
function transformersDefaultRoots(): ModelSearchRoots | null {
  if (defaultRoots !== undefined) return defaultRoots;
  try {
    const packageRoot = dirname(dirname(createRequire(import.meta.url).resolve('@huggingface/transformers')));
    defaultRoots = { localModelPath: join(packageRoot, 'models'), cacheDir: join(packageRoot, '.cache') };
  } catch {
    defaultRoots = null;
  }
  return defaultRoots;
}

/**
 * The roots the worker will use for `config`, or undefined when one of them is a Transformers.js
 * default that cannot be located from here.
 */
function searchRootsFor(config: ModelLoadConfig): ModelSearchRoots | undefined {
  // An absolute model folder is used as it is; the roots play no part.
  if (isAbsolute(config.model)) return { localModelPath: '', cacheDir: undefined };
  const defaults = config.localModelPath === undefined || config.cacheDir === undefined ? transformersDefaultRoots() : null;
  const localModelPath = config.localModelPath ?? defaults?.localModelPath;
  const cacheDir = config.cacheDir ?? defaults?.cacheDir;
  return localModelPath !== undefined && cacheDir !== undefined ? { localModelPath, cacheDir } : undefined;
}

/**
 * Does on the calling thread what the worker's own check does, for a load with downloads off: the
 * `model-not-found` failure the worker would report, or undefined when every required file is in
 * place (or the folders cannot be worked out without Transformers.js, which the worker then does).
 */
export function localModelFailure(config: ModelLoadConfig): WorkerFailure | undefined {
  const roots = searchRootsFor(config);
  if (!roots) return undefined;
  const folders = modelFoldersFor(config, roots);
  const missing = missingModelFiles(config.dtype, folders);
  return missing.length > 0 ? { kind: 'model-not-found', message: `missing ${missing.join(', ')}`, missing, folders } : undefined;
}
