import {
  BackendUnreachableError,
  InvalidResponseError,
  RagbridgeError,
  RequestTimeoutError,
} from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { canonicalModelName } from './internal/ollama-models.js';
import { connectionShape, parseOptions, type OptionsShape } from './internal/ollama-options.js';
import { ollamaTagsResponseSchema, ollamaVersionResponseSchema } from './internal/ollama-schemas.js';
import { openOllamaCall } from './internal/ollama-transport.js';
import type { OllamaConnectionOptions } from './ollama-connection.js';

/** Options of {@link checkOllamaHealth}. */
export interface OllamaHealthOptions extends OllamaConnectionOptions {
  /** Models that must be pulled, e.g. `['llama3.2:3b', 'nomic-embed-text']`. @default [] */
  models?: string[];
  /** Give up on a server that accepts the connection but does not answer after this long, in ms. @default 5000 */
  timeoutMs?: number;
  /** Cancels the check; aborting rejects with the signal's reason. */
  abortSignal?: AbortSignal;
}

const healthOptionsShape = {
  ...connectionShape,
  models: z.array(z.string().trim().min(1)).optional(),
  timeoutMs: z.number().int().positive().optional(),
  abortSignal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, 'an AbortSignal').optional(),
} satisfies OptionsShape<OllamaHealthOptions>;
const healthOptionsSchema: z.ZodType<OllamaHealthOptions, OllamaHealthOptions> = z.strictObject(healthOptionsShape);

/** Whether one model is available locally. */
export interface OllamaModelHealth {
  /** The model as asked for. */
  model: string;
  /** `pulled`, `not-pulled`, or `unknown` when the server could not be asked. */
  status: 'pulled' | 'not-pulled' | 'unknown';
  /** The name as Ollama lists it, e.g. `nomic-embed-text:latest` (when pulled). */
  name?: string;
  /** The model's sha256 digest (when pulled); usable as an embedder `revision`. */
  digest?: string;
  /** Size on disk in bytes (when pulled). */
  sizeBytes?: number;
  /** What to do, when not pulled: ``model "x" is not pulled — run `ollama pull x` ``. */
  message?: string;
}

/** The result of {@link checkOllamaHealth}. */
export interface OllamaHealth {
  /** True when the server answered and every model asked for is pulled. */
  ok: boolean;
  /** The address checked, normalized (always with a port). */
  host: string;
  /** True when an Ollama server answered at `host`. */
  reachable: boolean;
  /** The server's version (`GET /api/version`), when it said. */
  version?: string;
  /** One entry per model asked for, in order. */
  models: OllamaModelHealth[];
  /** Every problem found, as a sentence that says what to do; empty when `ok`. */
  problems: string[];
  /** The typed error behind a server problem (unreachable, timeout, HTTP failure), if any. */
  error?: RagbridgeError;
}

/**
 * Checks that Ollama runs at `host` and has `models` pulled, telling the two apart:
 * - ``Ollama is not running at http://127.0.0.1:11434 — start it with `ollama serve` `` (nothing listens),
 * - ``model "llama3.2:3b" is not pulled — run `ollama pull llama3.2:3b` `` (server up, model missing).
 *
 * Asks `GET /api/version` and `GET /api/tags` (one request for every model). Never throws for
 * what it finds (the result says it); rejects only when `abortSignal` aborts, with its reason.
 *
 * @example
 * const health = await checkOllamaHealth({ models: ['llama3.2:3b', 'nomic-embed-text'] });
 * if (!health.ok) console.error(health.problems.join('\n'));
 */
export async function checkOllamaHealth(options: OllamaHealthOptions = {}): Promise<OllamaHealth> {
  const config = parseOptions(healthOptionsSchema, options, 'checkOllamaHealth');
  const wanted = config.models ?? [];
  const timeoutMs = config.timeoutMs ?? 5000;
  const caller = config.abortSignal;
  caller?.throwIfAborted();
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = caller ? AbortSignal.any([caller, deadline]) : deadline;
  const connection: OllamaConnectionOptions = { host: config.host, fetch: config.fetch, headers: config.headers };

  const versionCall = openOllamaCall(connection, { path: '/api/version', signal });
  const host = versionCall.host;
  const unknown = (): OllamaModelHealth[] => wanted.map((model) => ({ model, status: 'unknown' }));
  const problem = (error: unknown): RagbridgeError => {
    if (caller?.aborted) throw caller.reason;
    if (RagbridgeError.isInstance(error)) return error;
    return new InvalidResponseError({ ...versionCall.target, cause: error, message: String(error) });
  };

  let version: string | undefined;
  try {
    const parsed = ollamaVersionResponseSchema.safeParse(await versionCall.client.version());
    if (parsed.success) version = parsed.data.version;
  } catch (thrown) {
    const error = problem(versionCall.mapError(thrown));
    if (BackendUnreachableError.isInstance(error)) {
      return {
        ok: false,
        host,
        reachable: false,
        models: unknown(),
        problems: [`Ollama is not running at ${host} — start it with \`ollama serve\` (or point host / OLLAMA_HOST at the server that runs it)`],
        error,
      };
    }
    if (RequestTimeoutError.isInstance(error)) {
      return {
        ok: false,
        host,
        reachable: false,
        models: unknown(),
        problems: [`Ollama at ${host} accepted the connection but did not answer within ${timeoutMs} ms — is it stuck, or is something else listening on that port?`],
        error,
      };
    }
    return { ok: false, host, reachable: true, models: unknown(), problems: [`Ollama at ${host} answered GET /api/version with an error: ${error.message}`], error };
  }

  const tagsCall = openOllamaCall(connection, { path: '/api/tags', signal });
  let listed: Array<{ name: string; digest?: string; size?: number }>;
  try {
    const parsed = ollamaTagsResponseSchema.safeParse(await tagsCall.client.list());
    if (!parsed.success) throw new InvalidResponseError({ ...tagsCall.target, message: 'GET /api/tags did not list models' });
    listed = (parsed.data.models ?? []).flatMap((m) => {
      const name = m.name ?? m.model;
      if (name === undefined) return [];
      return [{ name, ...(m.digest !== undefined && { digest: m.digest }), ...(m.size !== undefined && { size: m.size }) }];
    });
  } catch (thrown) {
    const error = problem(tagsCall.mapError(thrown));
    return {
      ok: false,
      host,
      reachable: true,
      ...(version !== undefined && { version }),
      models: unknown(),
      problems: [`Ollama at ${host} could not list its models: ${error.message}`],
      error,
    };
  }

  const byName = new Map(listed.map((m) => [canonicalModelName(m.name), m]));
  const models: OllamaModelHealth[] = wanted.map((model) => {
    const found = byName.get(canonicalModelName(model));
    if (!found) return { model, status: 'not-pulled', message: `model "${model}" is not pulled — run \`ollama pull ${model}\`` };
    return {
      model,
      status: 'pulled',
      name: found.name,
      ...(found.digest !== undefined && { digest: found.digest }),
      ...(found.size !== undefined && { sizeBytes: found.size }),
    };
  });
  const problems = models.flatMap((m) => (m.message ? [m.message] : []));
  return { ok: problems.length === 0, host, reachable: true, ...(version !== undefined && { version }), models, problems };
}
