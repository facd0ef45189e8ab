import {
  type BackendName,
  BackendUnreachableError,
  BadInputError,
  errorFromException,
  errorFromHttpResponse,
  InvalidResponseError,
  RagbridgeError,
  registerSecret,
  ServerError,
  type CallTarget,
  type HttpFailure,
} from '@ragbridge/core-interfaces';
import { Ollama } from 'ollama';
import type { OllamaConnectionOptions } from '../ollama-connection.js';
import { resolveOllamaHostConfig } from './ollama-host.js';

/** The backend name every ragbridge Ollama object reports. */
export const OLLAMA_BACKEND = 'ollama' satisfies BackendName;

/** The message the client throws when an NDJSON stream ends without a `done:true` line. */
const STREAM_ENDED_EARLY = 'Did not receive done or success response in stream.';

/** Connection failures that happen before any answer: nothing listens at the address. */
const NOT_LISTENING_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const SENSITIVE_HEADER = /auth|key|token|secret|cookie|session|password/i;

/**
 * Watches an NDJSON body on its way to the `ollama` client: it removes lines that are not JSON
 * objects (the client would skip them with a `console.warn`) and remembers them, and remembers
 * in-stream `{"error": …}` lines. When the client then fails, the adapter can tell a garbled
 * stream from a connection that ended early, and a server error from other failures.
 */
export class NdjsonObserver {
  /** Lines that were not JSON objects (first 200 characters each). */
  readonly invalidLines: string[] = [];
  /** Messages of `{"error": …}` lines, in order. */
  readonly errorMessages: string[] = [];

  transform(): TransformStream<Uint8Array, Uint8Array> {
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let buffer = '';
    const pass = (line: string, controller: TransformStreamDefaultController<Uint8Array>): void => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        this.invalidLines.push(line.slice(0, 200));
        return;
      }
      const message = (value as { error?: unknown }).error;
      if (message !== undefined) this.errorMessages.push(typeof message === 'string' ? message : JSON.stringify(message));
      controller.enqueue(encoder.encode(`${line}\n`));
    };
    return new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) pass(line, controller);
      },
      flush(controller) {
        buffer += decoder.decode();
        pass(buffer, controller);
        buffer = '';
      },
    });
  }
}

/** One call to Ollama: a client bound to the caller's signal, and the error mapping for it. */
export interface OllamaCall {
  client: Ollama;
  /** The resolved base URL, e.g. `http://127.0.0.1:11434`. */
  host: string;
  /** Backend, model and endpoint, for error messages. */
  target: CallTarget;
  signal: AbortSignal | undefined;
  /** Maps anything the client threw to what the caller must see (a typed error or the abort reason). */
  mapError(error: unknown): unknown;
}

/** Options of {@link openOllamaCall}. */
export interface OpenOllamaCallOptions {
  modelId?: string;
  /** API path, e.g. `/api/chat`, for error messages. */
  path: string;
  signal?: AbortSignal | undefined;
  /** Observe the NDJSON body of streaming answers. */
  observeStream?: boolean;
}

function mergeSignals(a: AbortSignal | null | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

/**
 * Prepares one call: resolves the host now (so `OLLAMA_HOST` is read at call time), registers
 * secret header values, and builds an `ollama` client whose `fetch`
 * - passes the caller's `AbortSignal` to every request (the client itself only aborts streams),
 * - turns a non-2xx answer into the typed error, with status, headers (`Retry-After`) and body,
 *   before the client reads it: the client's own `ResponseError` keeps neither headers nor the raw
 *   body (and logs to the console for non-JSON bodies), so it never reaches the mapping,
 * - watches streamed NDJSON (see {@link NdjsonObserver}).
 * A fresh client per call keeps concurrent calls' signals and observers apart; it is cheap.
 */
export function openOllamaCall(connection: OllamaConnectionOptions, options: OpenOllamaCallOptions): OllamaCall {
  const modelTarget: CallTarget = { backend: OLLAMA_BACKEND, ...(options.modelId !== undefined && { modelId: options.modelId }) };
  let resolved;
  try {
    resolved = resolveOllamaHostConfig(connection.host);
  } catch (error) {
    throw new BadInputError({
      ...modelTarget,
      cause: error,
      message: `Invalid Ollama host "${connection.host ?? process.env.OLLAMA_HOST ?? ''}": ${error instanceof Error ? error.message : String(error)}`,
      hint: 'Use host:port or http(s)://host:port, e.g. http://127.0.0.1:11434.',
    });
  }
  const host = resolved.url;
  const target: CallTarget = { ...modelTarget, endpoint: `${host}${options.path}` };
  const headers: Record<string, string> = {};
  if (resolved.authorization !== undefined) {
    registerSecret(resolved.authorization);
    registerSecret(resolved.authorization.slice('Basic '.length));
    headers.Authorization = resolved.authorization;
  }
  for (const [name, value] of Object.entries(connection.headers ?? {})) {
    if (SENSITIVE_HEADER.test(name)) {
      registerSecret(value);
      // Also the bare token of `Bearer <token>` / `Basic <token>`.
      registerSecret(value.replace(/^\s*(Bearer|Basic|Token)\s+/i, ''));
    }
    headers[name] = value;
  }
  const signal = options.signal;
  const observer = options.observeStream ? new NdjsonObserver() : undefined;
  const notFoundHint = options.modelId !== undefined ? `Run \`ollama pull ${options.modelId}\`.` : undefined;

  const wrappedFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const merged = mergeSignals(init.signal, signal);
    const baseFetch = connection.fetch ?? globalThis.fetch;
    const response = await baseFetch(input, merged ? { ...init, signal: merged } : init);
    if (!response.ok) {
      const body = await response.text();
      const endpoint = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const failure: HttpFailure = {
        ...modelTarget,
        endpoint,
        status: response.status,
        headers: response.headers,
        body,
        hints: {
          auth: 'Ollama itself has no authentication: a proxy in front of it refused the request. Check the headers option (e.g. its API key).',
          payment: 'The service in front of Ollama (or Ollama cloud models) asks for payment; use a local model or add credits.',
        },
      };
      // A 404 without a model in the message is a missing route (old Ollama or not Ollama), not a missing model.
      if (response.status === 404 && !/model/i.test(body)) {
        failure.hints = { ...failure.hints, notFound: `The server has no ${new URL(endpoint).pathname} endpoint: check that the host is an Ollama server, and update Ollama.` };
      } else if (notFoundHint !== undefined) {
        failure.hints = { ...failure.hints, notFound: notFoundHint };
      }
      throw errorFromHttpResponse(failure);
    }
    if (observer && response.body) {
      return new Response(response.body.pipeThrough(observer.transform()), {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    return response;
  };

  const clientHeaders = Object.keys(headers).length > 0 ? headers : undefined;
  const client = new Ollama({ host, fetch: wrappedFetch, ...(clientHeaders && { headers: clientHeaders }) });

  const mapError = (error: unknown): unknown => {
    // The caller's abort wins over whatever the interrupted request failed with.
    if (signal?.aborted) return errorFromException(signal.reason ?? error, target, signal);
    if (RagbridgeError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : '';
    if (observer && message === STREAM_ENDED_EARLY) {
      if (observer.invalidLines.length > 0) {
        return new InvalidResponseError({
          ...target,
          cause: error,
          responseBody: observer.invalidLines.join('\n'),
          message: `The stream held ${observer.invalidLines.length} line(s) that are not JSON objects and no final "done" line`,
        });
      }
      return new BackendUnreachableError({
        ...target,
        cause: error,
        message: 'The stream ended before Ollama sent its final "done" line (the connection was cut)',
      });
    }
    if (observer && error instanceof Error && observer.errorMessages.includes(message)) {
      return new ServerError({
        ...target,
        cause: error,
        responseBody: JSON.stringify({ error: message }),
        message: `Ollama failed mid-stream: ${message}`,
      });
    }
    if (error instanceof SyntaxError) {
      // Mapped here because errorFromException's connection pattern /terminated/ also matches
      // V8's "Unterminated string in JSON", which would make a garbled body look like a cut connection.
      return new InvalidResponseError({ ...target, cause: error, message: `The response is not valid JSON (${error.message})` });
    }
    const code = errorCode(error);
    if (code !== undefined && NOT_LISTENING_CODES.has(code)) {
      return new BackendUnreachableError({
        ...target,
        cause: error,
        message: code === 'ECONNREFUSED' ? `Ollama is not running at ${host} (connection refused)` : `Ollama at ${host} cannot be reached (${code})`,
        hint: 'Start it with `ollama serve` (or the Ollama app), or set the host option / OLLAMA_HOST to where it runs.',
      });
    }
    return errorFromException(error, target, signal);
  };

  return { client, host, target, signal, mapError };
}
