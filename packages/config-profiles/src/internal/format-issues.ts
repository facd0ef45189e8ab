import { redactSecrets } from '@ragbridge/core-interfaces';
import type { z } from 'zod';
import type { ConfigIssue } from '../config-error.js';
import { isSecretPath } from './secret-keys.js';

type PathKey = PropertyKey;

/** `models.reranker.chain[1].backend` from `['models', 'reranker', 'chain', 1, 'backend']`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** The value at `path` in `data`, or undefined. */
export function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function shown(value: unknown, path: readonly PathKey[]): string {
  if (value === undefined) return 'nothing';
  if (isSecretPath(path) && typeof value === 'string') return '"[redacted]"';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

interface ZodDefLike {
  type: string;
  shape?: Record<string, { _zod: { def: ZodDefLike } }>;
  innerType?: { _zod: { def: ZodDefLike } };
  in?: { _zod: { def: ZodDefLike } };
  element?: { _zod: { def: ZodDefLike } };
  valueType?: { _zod: { def: ZodDefLike } };
  options?: Array<{ _zod: { def: ZodDefLike } }>;
  discriminator?: string;
}

/** The keys an object schema at `path` allows (following the data through unions), when known. */
function allowedKeysAt(schema: z.ZodType, data: unknown, path: readonly PathKey[]): string[] | undefined {
  let def = (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
  let index = 0;
  for (let guard = 0; guard < 200; guard++) {
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
      case 'readonly':
        if (!def.innerType) return undefined;
        def = def.innerType._zod.def;
        continue;
      case 'pipe':
        if (!def.in) return undefined;
        def = def.in._zod.def;
        continue;
      case 'union': {
        const discriminator = def.discriminator;
        const wanted = discriminator ? (valueAt(data, path.slice(0, index)) as Record<string, unknown> | undefined)?.[discriminator] : undefined;
        const match = def.options?.find((o) => {
          const shape = o._zod.def.shape;
          const literal = shape && discriminator ? (shape[discriminator]?._zod.def as unknown as { values?: unknown[] }).values : undefined;
          return literal?.includes(wanted);
        });
        if (!match) return undefined;
        def = match._zod.def;
        continue;
      }
      default:
        break;
    }
    if (index === path.length) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
    const key = path[index++];
    if (def.type === 'object' && def.shape && typeof key === 'string' && def.shape[key]) def = def.shape[key]._zod.def;
    else if (def.type === 'array' && def.element) def = def.element._zod.def;
    else if (def.type === 'record' && def.valueType) def = def.valueType._zod.def;
    else return undefined;
  }
  return undefined;
}

/**
 * Turns zod issues into messages that name the exact field, say what is allowed and what was
 * given, and never show a secret value.
 */
export function formatZodIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  data: unknown,
  sourceOf: (path: readonly PathKey[]) => string | undefined,
): ConfigIssue[] {
  return issues.map((issue) => {
    const path = issue.path;
    const value = valueAt(data, path);
    let message: string;
    switch (issue.code) {
      case 'invalid_union': {
        const options = (issue as { options?: unknown[] }).options;
        if (options && (issue as { note?: string }).note === 'No matching discriminator') {
          // An option that may be left out (`storage.kind` defaults to sqlite) is listed as undefined: not a value to write.
          message = `expected one of ${options.filter((o) => o !== undefined && o !== null).map(String).join(', ')}, got ${shown(value, path)}`;
        } else {
          message = `does not match any allowed form, got ${shown(value, path)}`;
        }
        break;
      }
      case 'invalid_value':
        message = `expected one of ${issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}, got ${shown(value, path)}`;
        break;
      case 'invalid_type':
        message = value === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${shown(value, path)}`;
        break;
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(schema, data, path);
        message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`;
        break;
      }
      case 'too_small':
      case 'too_big':
        message = `${issue.message.replace(/^Too (small|big): /, '').replace(/^expected (\w+) to (have|be) /, 'must be ')}, got ${shown(value, path)}`;
        break;
      default:
        message = issue.message;
    }
    // An unknown key belongs to the layer that wrote it, not to whichever last set its parent.
    const source = sourceOf(issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...path, issue.keys[0] as string] : path);
    return { path: formatPath(path), message: redactSecrets(message), ...(source !== undefined && { source }) };
  });
}
