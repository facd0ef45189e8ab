import { RagbridgeError, type RagbridgeErrorOptions } from '@ragbridge/core-interfaces';
import { isSecretKey } from './internal/secret-keys.js';

/** One problem in a configuration. */
export interface ConfigIssue {
  /** Where, e.g. `models.reranker.chain[1].backend` (empty for the whole file). */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
  /** The layer that set the value: a file path, `env RAGBRIDGE_…`, `built-in profile "local"`, `overrides`. */
  source?: string;
}

/** Options of {@link ConfigError}. */
export interface ConfigErrorOptions extends RagbridgeErrorOptions {
  issues: ConfigIssue[];
}

/** Renders issues one per line: `path: message (from source)`. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      // Redaction removes whatever follows `token: ` or `apiKey: `, which would eat the message.
      const label = isSecretKey(i.path.split(/[.[]/).at(-1) ?? '') ? `${i.path} (secret)` : i.path;
      return `${label ? `${label}: ` : ''}${i.message}${i.source ? ` (from ${i.source})` : ''}`;
    })
    .join('\n');
}

/**
 * The configuration cannot be used: a field has a wrong value, a file cannot be read or parsed, a
 * `${VAR}` is not set, or profiles extend each other in a loop. `issues` lists every problem with
 * its exact field and what is allowed, e.g.
 * `models.reranker.chain[1].backend: expected one of hf-tei, hf-inference, transformersjs, got "tei"`.
 */
export class ConfigError extends RagbridgeError {
  static override readonly errorName: string = 'ConfigError';
  static override readonly defaultMessage: string = 'Invalid configuration';
  static override readonly defaultHint: string = 'Fix the fields listed; see the @ragbridge/config-profiles README for every field.';
  /** Every problem found. */
  readonly issues: ConfigIssue[];

  constructor(options: ConfigErrorOptions) {
    const list = formatConfigIssues(options.issues);
    const summary = options.message ?? (options.issues.length === 1 ? 'Invalid configuration' : `Invalid configuration (${options.issues.length} problems)`);
    // The advice goes on its own line after the list, not glued to the last issue.
    const hint = options.hint ?? ConfigError.defaultHint;
    super({ ...options, message: `${summary}:\n${list}\n${hint}`, hint: '' });
    this.issues = options.issues;
  }
}
