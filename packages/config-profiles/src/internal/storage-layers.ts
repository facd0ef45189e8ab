import { ConfigError } from '../config-error.js';
import { detectStorage } from '../detect-profile.js';
import { deepMerge, isPlainObject } from './merge.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The `kind` of a configuration's `storage` as written (`sqlite` when left out). */
function storageKind(config: unknown): unknown {
  const storage = isPlainObject(config) ? config.storage : undefined;
  return isPlainObject(storage) && storage.kind !== undefined ? storage.kind : 'sqlite';
}

/**
 * Layers `overlay` over `base` as `deepMerge` does, except that a `storage` of another `kind`
 * replaces the section instead of merging into it (a profile's SQLite `path` does not belong in a
 * PostgreSQL section).
 */
export function mergeLayer(base: unknown, overlay: unknown): unknown {
  const storage = isPlainObject(overlay) ? overlay.storage : undefined;
  if (isPlainObject(base) && isPlainObject(storage) && storage.kind !== undefined && storage.kind !== storageKind(base)) {
    const { storage: _replaced, ...rest } = base;
    return deepMerge(rest, overlay);
  }
  return deepMerge(base, overlay);
}

/**
 * Cost state the built-in profiles keep in SQLite files beside their store. With PostgreSQL
 * storage it lives in the same database instead, unless a layer above the profile names a file.
 */
const PROFILE_COST_FILES: ReadonlyArray<readonly [string, ...string[]]> = [
  ['budgets', 'ledger'],
  ['caches', 'embeddings', 'path'],
];

/** Fields only PostgreSQL storage has. */
const POSTGRES_FIELDS = ['url', 'schema', 'maxConnections', 'efSearch', 'hnsw'] as const;

/** What {@link resolveStorage} decided. */
export interface StorageResolution {
  /** The merged configuration with the storage decision applied. */
  merged: unknown;
  /** What DATABASE_URL set, as a layer over the others: the path and the overlay. */
  fromEnv?: { path: string[]; data: Record<string, unknown> };
  /** Why this storage, e.g. `DATABASE_URL is set to a PostgreSQL URL` or `set by ragbridge.yaml`. */
  reason: string;
}

function withoutPath(value: unknown, path: readonly string[]): unknown {
  const [key, ...rest] = path;
  if (!isPlainObject(value) || key === undefined || !(key in value)) return value;
  const out = { ...value };
  if (rest.length === 0) delete out[key];
  else out[key] = withoutPath(out[key], rest);
  return out;
}

/**
 * Decides where documents live. A layer above the profile that sets `storage` wins; otherwise a
 * PostgreSQL `DATABASE_URL` makes it PostgreSQL (the profile stays what it is); otherwise the
 * profile's SQLite file. A PostgreSQL `storage` without `url` takes DATABASE_URL's. With
 * PostgreSQL, the profile's SQLite ledger and embedding-cache files are dropped so that cost state
 * lives in the same database.
 *
 * `setAbove(path)` names the layer above the profile that sets `path`, if any.
 */
export function resolveStorage(merged: unknown, env: Env, setAbove: (path: readonly string[]) => string | undefined): StorageResolution {
  const detection = detectStorage(env);
  const explicit = setAbove(['storage']);
  let out = merged;
  let fromEnv: StorageResolution['fromEnv'];
  let reason: string;
  if (explicit !== undefined) {
    reason = `set by ${explicit}`;
    const storage = isPlainObject(out) ? out.storage : undefined;
    const postgresOnly = isPlainObject(storage) && storage.kind === undefined ? POSTGRES_FIELDS.filter((field) => storage[field] !== undefined) : [];
    if (postgresOnly.length > 0) {
      // Without kind a storage section is SQLite (files written before PostgreSQL): say what is missing.
      throw new ConfigError({
        issues: [{ path: 'storage.kind', message: `is needed with ${postgresOnly.join(', ')}: write kind: postgres (a storage without kind is a SQLite file)`, source: explicit }],
      });
    }
    if (isPlainObject(storage) && storage.kind === 'postgres' && storage.url === undefined && detection.storage) {
      fromEnv = { path: ['storage', 'url'], data: { storage: { url: detection.storage.url } } };
      reason += ', url from DATABASE_URL';
    } else if (isPlainObject(storage) && storage.kind === 'postgres' && storage.url === undefined) {
      throw new ConfigError({
        issues: [{ path: 'storage.url', message: `is required with kind: postgres (${detection.detail}): write url: \${DATABASE_URL} or a postgres:// URL, or set DATABASE_URL`, source: explicit }],
      });
    } else if (detection.storage && !(isPlainObject(storage) && storage.url === detection.storage.url)) {
      reason += ' (DATABASE_URL is not used)';
    }
  } else if (detection.storage) {
    fromEnv = { path: ['storage'], data: { storage: { ...detection.storage } } };
    reason = detection.detail;
  } else {
    reason = `the profile's default; ${detection.detail}`;
  }
  if (fromEnv) out = mergeLayer(out, fromEnv.data);
  if (storageKind(out) === 'postgres') {
    for (const path of PROFILE_COST_FILES) if (setAbove(path) === undefined) out = withoutPath(out, path);
  }
  return { merged: out, ...(fromEnv && { fromEnv }), reason };
}
