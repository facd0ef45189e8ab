import { registerSecret } from '@ragbridge/core-interfaces';
import type { ConfigIssue } from '../config-error.js';
import { formatPath } from './format-issues.js';
import { isPlainObject } from './merge.js';
import { isSecretEnvName, isSecretPath } from './secret-keys.js';

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/** A whole-value reference that produced a number or boolean becomes one (`port: ${PORT}`). */
function coerce(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of `value` with environment values;
 * `$${` stays a literal `${`. A missing variable without a default is an issue at the field that
 * names it. Values from secret-looking variables and values put in secret fields are registered
 * so that error messages and `explain()` redact them.
 */
export function interpolate(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
  issues: ConfigIssue[],
  path: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') {
    let missing = false;
    const out = value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const name_ = name as string;
      const found = env[name_];
      if (found !== undefined && found !== '') {
        if (isSecretEnvName(name_)) registerSecret(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      missing = true;
      issues.push({
        path: formatPath(path),
        message: `environment variable ${name_} is not set (write \${${name_}:-default} to give a default)`,
        source,
      });
      return '';
    });
    if (missing) return value;
    if (isSecretPath(path)) registerSecret(out);
    return WHOLE_REFERENCE.test(value) ? coerce(out) : out;
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, source, issues, [...path, i]));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, source, issues, [...path, k])]));
  }
  return value;
}
