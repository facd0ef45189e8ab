import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isProfileName, validateConfig, type ProfileName, type RagbridgeConfig, type ResolvedConfig } from '@ragbridge/config-profiles';

/** The configuration given to `createRuntime`, as a validated configuration plus how it was resolved. */
export interface NormalizedConfig {
  profile: ProfileName;
  config: RagbridgeConfig;
  /** What `explain()` is computed from. */
  resolved: ResolvedConfig;
}

function isResolvedConfig(value: ResolvedConfig | RagbridgeConfig): value is ResolvedConfig {
  return typeof value === 'object' && value !== null && 'config' in value && 'sources' in value;
}

/**
 * Accepts what `resolveConfig()` returned, or a configuration object. A bare configuration is
 * validated again (it may have been built by hand), which fills any default it lacks.
 */
export function normalizeConfig(input: ResolvedConfig | RagbridgeConfig): NormalizedConfig {
  if (isResolvedConfig(input)) return { profile: input.profile, config: input.config, resolved: input };
  const config = validateConfig(input, 'createRuntime config');
  const profile: ProfileName = isProfileName(config.profile) ? config.profile : 'offline';
  return {
    profile,
    config,
    resolved: {
      profile,
      reason: isProfileName(config.profile)
        ? `configuration passed to createRuntime (profile "${profile}")`
        : 'configuration passed to createRuntime without a profile',
      config,
      sources: [],
      overrides: [],
      warnings: [],
    },
  };
}

/** `:memory:` stays as is; anything else becomes absolute against `baseDir`. */
export function resolveDataPath(path: string, baseDir: string): string {
  if (path === ':memory:') return path;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Creates the folder a SQLite file will live in (SQLite does not). */
export function ensureParentDir(path: string): void {
  if (path === ':memory:' || path.startsWith('file:')) return;
  mkdirSync(dirname(path), { recursive: true });
}

/** The configuration with each Transformers.js step's model folders made absolute against `baseDir` (the adapter takes absolute paths only). */
export function withAbsoluteModelPaths(config: RagbridgeConfig, baseDir: string): RagbridgeConfig {
  const absolute = <S extends { backend: string; options?: Record<string, unknown> | undefined }>(step: S): S => {
    if (step.backend !== 'transformersjs' || !step.options) return step;
    const options = { ...step.options };
    for (const key of ['localModelPath', 'cacheDir']) {
      const value = options[key];
      if (typeof value === 'string' && value !== '' && !isAbsolute(value)) options[key] = resolve(baseDir, value);
    }
    return { ...step, options };
  };
  const { answer, embedder, reranker } = config.models;
  return {
    ...config,
    models: { answer: { chain: answer.chain.map(absolute) }, embedder: { chain: embedder.chain.map(absolute) }, reranker: { chain: reranker.chain.map(absolute) } },
  };
}
