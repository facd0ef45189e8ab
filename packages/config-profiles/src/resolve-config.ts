import { access, readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BUILT_IN_PROFILES, isProfileName, PROFILE_NAMES, type ProfileName } from './built-in-profiles.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { configSchema, MODEL_PARTS, type RagbridgeConfig } from './config-schema.js';
import { detectProfile, type ProfileDetection } from './detect-profile.js';
import { overlayOf, readEnvOverrides } from './internal/env-overrides.js';
import { formatPath, formatZodIssues } from './internal/format-issues.js';
import { interpolate } from './internal/interpolate.js';
import { isPlainObject, layerSets, leafPaths } from './internal/merge.js';
import { registerUrlPassword } from './internal/secret-keys.js';
import { mergeLayer, resolveStorage } from './internal/storage-layers.js';

/** Options of {@link resolveConfig}. */
export interface ResolveConfigOptions {
  /** Use this built-in profile instead of detecting one. @default RAGBRIDGE_PROFILE, else the file's `extends`, else detection */
  profile?: ProfileName;
  /**
   * A YAML or JSON configuration file layered over the profile.
   * @default RAGBRIDGE_CONFIG, else the first of ragbridge.yaml, ragbridge.yml, ragbridge.json in `cwd`, else none
   */
  file?: string;
  /** Folder relative file paths start from. @default process.cwd() */
  cwd?: string;
  /** Environment for `${VAR}`, `RAGBRIDGE_*` overrides and detection. @default process.env (read at call time) */
  env?: Readonly<Record<string, string | undefined>>;
  /** Settings layered over everything else (e.g. from command-line flags). */
  overrides?: unknown;
  /** `fetch` for the Ollama probe. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Ollama probe timeout in ms. @default 300 */
  probeTimeoutMs?: number;
}

/** A layer of the configuration, lowest first. */
export type ConfigSource =
  | { kind: 'profile'; name: ProfileName }
  | { kind: 'file'; path: string }
  | { kind: 'env'; variables: string[] }
  | { kind: 'overrides' };

/** A field set above the profile, and by which layer. */
export interface FieldOverride {
  path: string;
  source: string;
}

/** The outcome of {@link resolveConfig}. */
export interface ResolvedConfig {
  /** The built-in profile the configuration starts from. */
  profile: ProfileName;
  /** Why this profile. */
  reason: string;
  /** What detection looked at, when it ran. */
  detection?: ProfileDetection;
  /** The validated configuration. Holds secrets if the files or environment put them there: show it only through `explain()`. */
  config: RagbridgeConfig;
  /** Layers, lowest first; later ones win. */
  sources: ConfigSource[];
  /** Fields files, environment variables and overrides set. */
  overrides: FieldOverride[];
  /** Things that will work, but probably not as intended. */
  warnings: string[];
  /**
   * Why `config.storage` is what it is, without secrets, e.g. `DATABASE_URL is set to a PostgreSQL
   * URL`, `set by ragbridge.yaml` or `the profile's default; DATABASE_URL is not set`.
   */
  storageReason?: string;
}

interface Layer {
  /** How issues name it: a file path, `env RAGBRIDGE_X`, `built-in profile "local"`, `overrides`. */
  label: string;
  data: unknown;
  /** For an environment variable: the path it sets (only that subtree is attributed to it). */
  envPath?: Array<string | number>;
}

const DISCOVERED_FILES = ['ragbridge.yaml', 'ragbridge.yml', 'ragbridge.json'];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Parses file text as JSON (`.json`) or YAML (anything else; YAML also reads JSON). */
function parseText(text: string, path: string, label: string): unknown {
  try {
    if (extname(path).toLowerCase() === '.json') return JSON.parse(text);
    return parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError({ message: 'Cannot parse the configuration file', issues: [{ path: '', message: `${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'} syntax error: ${message}`, source: label }] });
  }
}

/** Reads a file and the files it extends; returns their layers (base first) and the built-in profile at the bottom, if any. */
async function loadFileChain(
  path: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  seen: string[] = [],
): Promise<{ layers: Layer[]; base?: ProfileName; baseFrom?: string }> {
  const label = shownPath(path, cwd);
  if (seen.includes(path)) {
    throw new ConfigError({
      message: 'Configuration files extend each other in a loop',
      issues: [{ path: 'extends', message: [...seen, path].map((p) => shownPath(p, cwd)).join(' → '), source: label }],
    });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ConfigError({ message: 'Cannot read the configuration file', issues: [{ path: '', message: code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path} (${code ?? String(error)})`, source: label }] });
  }
  const raw = parseText(text, path, label);
  if (!isPlainObject(raw)) {
    throw new ConfigError({ issues: [{ path: '', message: `the file must hold a mapping of settings, got ${Array.isArray(raw) ? 'a list' : typeof raw}`, source: label }] });
  }
  const issues: ConfigIssue[] = [];
  const data = interpolate(raw, env, label, issues) as Record<string, unknown>;
  if (issues.length) throw new ConfigError({ issues });
  const { extends: parent, ...rest } = data;
  let target = parent;
  if (target === undefined && typeof rest.profile === 'string') {
    // `profile: local` in a file means the same as `extends: local`.
    target = rest.profile;
    delete rest.profile;
  }
  const own: Layer = { label, data: rest };
  if (target === undefined) return { layers: [own] };
  if (typeof target !== 'string' || target.trim() === '') {
    throw new ConfigError({ issues: [{ path: 'extends', message: `expected a built-in profile (${PROFILE_NAMES.join(', ')}) or a file path, got ${JSON.stringify(target)}`, source: label }] });
  }
  if (isProfileName(target)) return { layers: [own], base: target, baseFrom: label };
  if (!/[./\\]/.test(target)) {
    throw new ConfigError({ issues: [{ path: 'extends', message: `expected one of ${PROFILE_NAMES.join(', ')} or a file path, got "${target}"`, source: label }] });
  }
  const parentChain = await loadFileChain(resolve(dirname(path), target), cwd, env, [...seen, path]);
  return { ...parentChain, layers: [...parentChain.layers, own] };
}

function sourceFinder(layers: readonly Layer[]): (path: readonly PropertyKey[]) => string | undefined {
  return (path) => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i] as Layer;
      if (layer.envPath) {
        const own = layer.envPath;
        const n = Math.min(own.length, path.length);
        if (own.slice(0, n).every((k, j) => String(k) === String(path[j]))) return layer.label;
        continue;
      }
      if (layerSets(layer.data, path)) return layer.label;
    }
    return undefined;
  };
}

function validate(data: unknown, layers: readonly Layer[]): RagbridgeConfig {
  const result = configSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError({ issues: formatZodIssues(result.error.issues, configSchema, data, sourceFinder(layers)) });
}

/**
 * Validates a configuration object (e.g. built in code) and fills its defaults. Throws
 * {@link ConfigError} naming each wrong field and what it allows.
 */
export function validateConfig(input: unknown, source = 'configuration'): RagbridgeConfig {
  return validate(input, [{ label: source, data: input }]);
}

/** A built-in profile, validated, with every default filled in. */
export function getBuiltInProfile(name: ProfileName): RagbridgeConfig {
  if (!isProfileName(name)) {
    throw new ConfigError({ issues: [{ path: 'profile', message: `expected one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(name)}` }] });
  }
  return validate({ ...BUILT_IN_PROFILES[name], profile: name }, [{ label: `built-in profile "${name}"`, data: BUILT_IN_PROFILES[name] }]);
}

function warningsFor(config: RagbridgeConfig, env: Readonly<Record<string, string | undefined>>): string[] {
  const warnings: string[] = [];
  const hasToken = Boolean(env.HF_TOKEN?.trim());
  for (const part of MODEL_PARTS) {
    config.models[part].chain.forEach((step, index) => {
      if (step.backend === 'hf-inference' && !('token' in step && step.token) && !('endpoint' in step && step.endpoint) && !hasToken) {
        warnings.push(
          `models.${part}.chain[${index}] (hf-inference "${step.model}") has no token and HF_TOKEN is not set: it will fail with AuthenticationError, and its chain will fall back.`,
        );
      }
    });
  }
  if (config.retrieval.mode === 'hybrid' && config.models.embedder.chain.length === 0) {
    warnings.push('retrieval.mode is hybrid but models.embedder.chain is empty: retrieval is keyword-only.');
  }
  return warnings;
}

/**
 * Resolves the configuration: picks a built-in profile (the `profile` option, `RAGBRIDGE_PROFILE`,
 * a file's `extends`, or {@link detectProfile}), then layers a YAML or JSON file (with `${VAR}`
 * interpolation and `extends` chains), `RAGBRIDGE_*` environment overrides and `overrides`
 * over it, and validates the result. When none of those sets `storage`, a PostgreSQL
 * `DATABASE_URL` in the environment makes the storage PostgreSQL (`detectStorage`). Throws
 * {@link ConfigError} naming each wrong field and
 * the layer that set it.
 *
 * @example
 * const resolved = await resolveConfig();
 * console.log(explain(resolved).text);
 */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();

  let filePath = options.file ?? env.RAGBRIDGE_CONFIG?.trim();
  if (filePath === '') filePath = undefined;
  if (filePath === undefined) {
    for (const name of DISCOVERED_FILES) {
      if (await exists(resolve(cwd, name))) {
        filePath = name;
        break;
      }
    }
  }
  const files = filePath === undefined ? { layers: [] as Layer[] } : await loadFileChain(resolve(cwd, filePath), cwd, env);

  const warnings: string[] = [];
  const forced = options.profile ?? env.RAGBRIDGE_PROFILE?.trim();
  let profile: ProfileName;
  let reason: string;
  let detection: ProfileDetection | undefined;
  if (forced) {
    const by = options.profile ? 'the profile option' : 'RAGBRIDGE_PROFILE';
    if (!isProfileName(forced)) {
      throw new ConfigError({ issues: [{ path: 'profile', message: `expected one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(forced)}`, source: by }] });
    }
    profile = forced;
    reason = `set by ${by}`;
    if (files.base && files.base !== forced) {
      warnings.push(`${files.baseFrom} extends "${files.base}", but ${by} chose "${forced}": the file is layered over "${forced}".`);
    }
  } else if (files.base) {
    profile = files.base;
    reason = `${files.baseFrom} extends "${files.base}"`;
  } else {
    detection = await detectProfile({
      env,
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.probeTimeoutMs !== undefined && { probeTimeoutMs: options.probeTimeoutMs }),
    });
    profile = detection.profile;
    reason = `detected: ${detection.reason}`;
  }

  const layers: Layer[] = [{ label: `built-in profile "${profile}"`, data: BUILT_IN_PROFILES[profile] }, ...files.layers];
  let merged: unknown = { ...structuredClone(BUILT_IN_PROFILES[profile]) };
  for (const layer of files.layers) merged = mergeLayer(merged, layer.data);

  const envOverrides = readEnvOverrides(env);
  for (const override of envOverrides) {
    const overlay = overlayOf([override], merged);
    layers.push({ label: `env ${override.variable}`, data: overlay, envPath: override.path });
    merged = mergeLayer(merged, overlay);
  }
  if (options.overrides !== undefined) {
    layers.push({ label: 'overrides', data: options.overrides });
    merged = mergeLayer(merged, options.overrides);
  }
  const storage = resolveStorage(merged, env, sourceFinder(layers.slice(1)));
  merged = storage.merged;
  // Listed after the files: it sets only what no other layer sets, so its place decides no value.
  if (storage.fromEnv) layers.splice(1 + files.layers.length, 0, { label: 'env DATABASE_URL', data: storage.fromEnv.data, envPath: storage.fromEnv.path });
  if (isPlainObject(merged)) merged.profile = profile;

  const config = validate(merged, layers);
  if (config.storage.kind === 'postgres') registerUrlPassword(config.storage.url);

  const overrides: FieldOverride[] = [];
  for (const layer of layers.slice(1)) {
    const paths = layer.envPath ? [layer.envPath] : leafPaths(layer.data);
    for (const path of paths) if (path.length) overrides.push({ path: formatPath(path), source: layer.label });
  }
  const sources: ConfigSource[] = [
    { kind: 'profile', name: profile },
    ...files.layers.map((l): ConfigSource => ({ kind: 'file', path: l.label })),
    ...(envOverrides.length || storage.fromEnv
      ? [{ kind: 'env', variables: [...envOverrides.map((o) => o.variable), ...(storage.fromEnv ? ['DATABASE_URL'] : [])] } satisfies ConfigSource]
      : []),
    ...(options.overrides !== undefined ? [{ kind: 'overrides' } satisfies ConfigSource] : []),
  ];
  return {
    profile,
    reason,
    ...(detection && { detection }),
    config,
    sources,
    overrides,
    warnings: [...warnings, ...warningsFor(config, env)],
    storageReason: storage.reason,
  };
}

