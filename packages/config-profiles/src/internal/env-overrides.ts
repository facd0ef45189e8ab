import { isPlainObject } from './merge.js';

/** Prefix of override variables: `RAGBRIDGE_SERVER__PORT=8080` sets `server.port`. */
export const ENV_PREFIX = 'RAGBRIDGE_';

/**
 * Variables with the prefix that are not configuration paths: settings of the loader, and the
 * PostgreSQL test cluster's (`tools/pg-cluster.sh` exports RAGBRIDGE_PG_DATA beside DATABASE_URL; CI
 * sets RAGBRIDGE_REQUIRE_POSTGRES), which share a shell with every command.
 */
const RESERVED = new Set(['RAGBRIDGE_PROFILE', 'RAGBRIDGE_CONFIG', 'RAGBRIDGE_PG_DATA', 'RAGBRIDGE_REQUIRE_POSTGRES']);

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseValue(raw: string): unknown {
  const text = raw.trim();
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(text) || /^[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** One override: the configuration path it sets and the variable it came from. */
export interface EnvOverride {
  variable: string;
  path: Array<string | number>;
  value: unknown;
}

/**
 * Reads `RAGBRIDGE_<SECTION>__<FIELD>[__…]` variables: `__` separates levels, `SNAKE_CASE`
 * becomes camelCase, a number is a list index, and values are JSON when they parse as JSON
 * (numbers, booleans, lists) and text otherwise. `PORT` sets `server.port`, as platforms expect.
 */
export function readEnvOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverride[] {
  const out: EnvOverride[] = [];
  for (const [variable, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (raw === undefined || raw === '') continue;
    if (variable === 'PORT') {
      out.push({ variable, path: ['server', 'port'], value: parseValue(raw) });
      continue;
    }
    if (!variable.startsWith(ENV_PREFIX) || RESERVED.has(variable)) continue;
    const segments = variable.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    out.push({ variable, path: segments.map((s) => (/^\d+$/.test(s) ? Number(s) : camel(s))), value: parseValue(raw) });
  }
  // `storage.kind` first: a kind other than the profile's replaces the storage section, which would
  // drop the variables applied before it (RAGBRIDGE_STORAGE__EF_SEARCH sorts before __KIND).
  const isStorageKind = (o: EnvOverride): boolean => o.path.length === 2 && o.path[0] === 'storage' && o.path[1] === 'kind';
  return [...out.filter(isStorageKind), ...out.filter((o) => !isStorageKind(o))];
}

/** Builds the overlay object the overrides describe (lists grow as indices need). */
export function overlayOf(overrides: readonly EnvOverride[], base: unknown): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  for (const { path, value } of overrides) {
    let target: Record<string | number, unknown> = overlay;
    let baseCursor: unknown = base;
    path.forEach((key, i) => {
      const last = i === path.length - 1;
      baseCursor = isPlainObject(baseCursor) || Array.isArray(baseCursor) ? (baseCursor as Record<string | number, unknown>)[key] : undefined;
      if (last) {
        target[key] = value;
        return;
      }
      const nextKey = path[i + 1];
      if (target[key] === undefined) {
        // A list index below a list in the base copies that list so the override edits one element.
        target[key] = typeof nextKey === 'number' ? (Array.isArray(baseCursor) ? structuredClone(baseCursor) : []) : {};
      }
      target = target[key] as Record<string | number, unknown>;
    });
  }
  return overlay;
}
