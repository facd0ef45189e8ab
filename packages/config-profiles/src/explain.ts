import { redactSecrets, redactUrl, registerSecret } from '@ragbridge/core-interfaces';
import { stringify as toYaml } from 'yaml';
import type { ProfileName } from './built-in-profiles.js';
import type { RagbridgeConfig } from './config-schema.js';
import type { DetectionCheck } from './detect-profile.js';
import { isPlainObject } from './internal/merge.js';
import { isSecretEnvName, isSecretPath, registerUrlPassword } from './internal/secret-keys.js';
import type { ConfigSource, FieldOverride, ResolvedConfig } from './resolve-config.js';

/** Options of {@link explain}. */
export interface ExplainOptions {
  /** Environment whose secret-looking variables (`*TOKEN*`, `*KEY*`, `*SECRET*`, …) are redacted wherever they appear. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What {@link explain} returns: safe to log, print or serve. */
export interface ConfigExplanation {
  profile: ProfileName;
  /** Why this profile was chosen. */
  reason: string;
  /** Where documents live and why, without the database URL's user and password, e.g. `PostgreSQL at postgres://db:5432/rag (DATABASE_URL is set) …`. */
  storage: string;
  /** What detection looked at (empty when the profile was set explicitly or by a file). */
  checks: DetectionCheck[];
  /** Layers, lowest first, e.g. `built-in profile "local"`, `ragbridge.yaml`, `environment (RAGBRIDGE_SERVER__PORT)`. */
  sources: string[];
  /** Fields set above the profile, and by which layer. */
  overrides: FieldOverride[];
  warnings: string[];
  /** The resolved configuration with every secret replaced by `[redacted]`. */
  config: RagbridgeConfig;
  /** All of the above as text for a terminal. */
  text: string;
}

const REDACTED = '[redacted]';

function redactValue(value: unknown, path: Array<string | number>): unknown {
  if (typeof value === 'string') {
    if (value === '') return value;
    if (isSecretPath(path)) return REDACTED;
    const key = path.at(-1);
    if (key === 'endpoint' || key === 'url' || (typeof key === 'string' && key.endsWith('Url'))) {
      const safe = redactUrl(value);
      // Keep the address as written unless redaction changed more than URL normalization does.
      return safe === `${value}/` ? value : safe;
    }
    return redactSecrets(value);
  }
  if (Array.isArray(value)) return value.map((item, i) => redactValue(item, [...path, i]));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, [...path, k])]));
  return value;
}

function registerConfigSecrets(value: unknown, path: Array<string | number> = []): void {
  if (typeof value === 'string') {
    if (isSecretPath(path)) registerSecret(value);
    else if (path.at(-1) === 'url') registerUrlPassword(value);
    return;
  }
  if (Array.isArray(value)) value.forEach((item, i) => registerConfigSecrets(item, [...path, i]));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) registerConfigSecrets(v, [...path, k]);
}

/** One line on where documents and cost state live, and why. */
function describeStorage(config: RagbridgeConfig, why: string | undefined): string {
  const because = why === undefined ? '' : ` (${why})`;
  const { storage, budgets, caches } = config;
  if (storage.kind === 'sqlite') return `SQLite file ${storage.path}${because}`;
  const shared = [
    ...(budgets.ledger === undefined ? ['usage ledger, budget reservations, alert state'] : []),
    ...(caches.embeddings.enabled && caches.embeddings.path === undefined ? ['embedding cache'] : []),
  ];
  return (
    `PostgreSQL at ${redactUrl(storage.url)}${storage.schema === undefined ? '' : `, schema ${storage.schema}`}${because}` +
    (shared.length ? `; ${shared.join(' and ')} in the same database` : '')
  );
}

function describeSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'profile':
      return `built-in profile "${source.name}"`;
    case 'file':
      return source.path;
    case 'env':
      return `environment (${source.variables.join(', ')})`;
    case 'overrides':
      return 'overrides';
  }
}

/**
 * Explains a resolved configuration: which profile was chosen and why, what detection saw, which
 * layers set which fields, warnings, and the whole configuration with secrets redacted (tokens,
 * API keys, header values, webhook URLs, URL credentials, and any value of a secret-looking
 * environment variable wherever it appears).
 */
export function explain(resolved: ResolvedConfig, options: ExplainOptions = {}): ConfigExplanation {
  const env = options.env ?? process.env;
  for (const [name, value] of Object.entries(env)) if (value && isSecretEnvName(name)) registerSecret(value.trim());
  registerConfigSecrets(resolved.config);

  const config = redactValue(resolved.config, []) as RagbridgeConfig;
  const checks = (resolved.detection?.checks ?? []).map((c) => ({ ...c, detail: redactSecrets(c.detail) }));
  const sources = resolved.sources.map(describeSource).map(redactSecrets);
  const warnings = resolved.warnings.map(redactSecrets);
  const reason = redactSecrets(resolved.reason);
  const storage = redactSecrets(describeStorage(resolved.config, resolved.storageReason));

  const lines = [
    `Profile: ${resolved.profile}`,
    `Why: ${reason}`,
    ...(checks.length ? ['Detection:', ...checks.map((c) => `  ${c.result === 'matched' ? '✓' : c.result === 'no' ? '✗' : '·'} [${c.check}] ${c.detail}`)] : []),
    `Storage: ${storage}`,
    `Layers (later wins): ${sources.join(' → ')}`,
    ...(resolved.overrides.length ? ['Set above the profile:', ...resolved.overrides.map((o) => `  ${o.path} ← ${o.source}`)] : []),
    ...(warnings.length ? ['Warnings:', ...warnings.map((w) => `  ! ${w}`)] : []),
    'Configuration:',
    ...toYaml(config, { lineWidth: 0 })
      .trimEnd()
      .split('\n')
      .map((line) => `  ${line}`),
  ];
  return {
    profile: resolved.profile,
    reason,
    storage,
    checks,
    sources,
    overrides: resolved.overrides,
    warnings,
    config,
    text: redactSecrets(lines.join('\n')),
  };
}
