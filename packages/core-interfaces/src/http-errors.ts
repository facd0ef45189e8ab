import {
  AuthenticationError,
  BackendUnreachableError,
  BadInputError,
  InvalidResponseError,
  ModelLoadingError,
  ModelNotFoundError,
  PaymentRequiredError,
  RagbridgeError,
  type RagbridgeErrorContext,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  UnsupportedRequestError,
} from './errors.js';

/** Where a call went, for error messages. */
export interface CallTarget {
  backend: string;
  modelId?: string;
  endpoint?: string;
}

/** An HTTP response that was not a success, as an adapter saw it. */
export interface HttpFailure extends CallTarget {
  status: number;
  /** Response headers (a `Headers` object or a plain record). */
  headers?: Headers | Record<string, string | undefined>;
  /** The response body as text. */
  body?: string;
  /** Current time in epoch ms, for HTTP-date `Retry-After` values. @default Date.now() */
  now?: number;
  /** Advice for this backend that replaces the class default (e.g. the `ollama pull` command). */
  hints?: Partial<Record<'notFound' | 'auth' | 'payment', string>>;
}

function header(headers: HttpFailure['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/**
 * Parses a `Retry-After` header: delay seconds (`"3"`, `"1.5"`) or an HTTP date. Returns
 * milliseconds from `now`, never negative, or `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

interface ParsedBody {
  message?: string;
  code?: string;
  type?: string;
  estimatedTimeS?: number;
}

function parseErrorBody(body: string | undefined): ParsedBody {
  if (!body) return {};
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json !== 'object' || json === null) return { message: String(json) };
    const o = json as Record<string, unknown>;
    const out: ParsedBody = {};
    const nested = typeof o.error === 'object' && o.error !== null ? (o.error as Record<string, unknown>) : undefined;
    for (const candidate of [o.error, nested?.message, o.message, o.detail]) {
      if (typeof candidate === 'string' && candidate.trim()) {
        out.message = candidate.trim();
        break;
      }
    }
    const code = nested?.code ?? o.code;
    if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
    const type = o.error_type ?? nested?.type ?? o.type;
    if (typeof type === 'string') out.type = type;
    if (typeof o.estimated_time === 'number') out.estimatedTimeS = o.estimated_time;
    return out;
  } catch {
    const text = body.trim();
    return text ? { message: text.slice(0, 300) } : {};
  }
}

/**
 * A 400/422 answer that says this model or provider cannot serve the request (another may): TGI's
 * missing chat template, a provider that does not allow or serve the model (code 40301).
 */
const CANNOT_SERVE_MESSAGE = /\btemplate (?:error|not found)\b|\bnot (?:allowed|served|being served)\b/i;
const CANNOT_SERVE_TYPES = new Set(['template_error']);
const CANNOT_SERVE_CODES = new Set(['40301']);

function cannotServe(status: number, parsed: ParsedBody): boolean {
  if (status === 421) return true;
  if (status !== 400 && status !== 422) return false;
  return (
    (parsed.type !== undefined && CANNOT_SERVE_TYPES.has(parsed.type)) ||
    (parsed.code !== undefined && CANNOT_SERVE_CODES.has(parsed.code)) ||
    CANNOT_SERVE_MESSAGE.test(parsed.message ?? '')
  );
}

/**
 * Maps a failed HTTP response to the typed error family. One table for every backend:
 * 401/403 authentication, 402 credits, 404 (and router `model_not_found`) model not found,
 * 421 and 400/422 "cannot serve" answers (missing chat template, model not allowed or served)
 * unsupported request, other 400/413/422 bad input, 429 rate limit with `Retry-After`, 503 with
 * `estimated_time` or a "loading" message model loading, other 5xx server error.
 */
export function errorFromHttpResponse(failure: HttpFailure): RagbridgeError {
  const { status } = failure;
  const parsed = parseErrorBody(failure.body);
  const requestId = header(failure.headers, 'x-request-id') ?? header(failure.headers, 'x-inference-id');
  const context: RagbridgeErrorContext & { message?: string } = {
    backend: failure.backend,
    statusCode: status,
    ...(failure.modelId !== undefined && { modelId: failure.modelId }),
    ...(failure.endpoint !== undefined && { endpoint: failure.endpoint }),
    ...(failure.body !== undefined && { responseBody: failure.body }),
    ...(requestId !== undefined && { requestId }),
    ...(parsed.message !== undefined && { message: parsed.message }),
  };
  const retryAfterMs = parseRetryAfter(header(failure.headers, 'retry-after'), failure.now);
  const lower = `${parsed.message ?? ''} ${parsed.code ?? ''}`.toLowerCase();

  if (status === 401 || status === 403) {
    return new AuthenticationError({ ...context, ...(failure.hints?.auth && { hint: failure.hints.auth }) });
  }
  if (status === 402) {
    return new PaymentRequiredError({ ...context, ...(failure.hints?.payment && { hint: failure.hints.payment }) });
  }
  if (status === 404 || parsed.code === 'model_not_found' || parsed.code === 'model_not_supported') {
    return new ModelNotFoundError({ ...context, ...(failure.hints?.notFound && { hint: failure.hints.notFound }) });
  }
  if (status === 429) {
    return new RateLimitError({ ...context, ...(retryAfterMs !== undefined && { retryAfterMs }) });
  }
  if (status === 503 && (parsed.estimatedTimeS !== undefined || /\bloading\b/.test(lower))) {
    const estimate = parsed.estimatedTimeS !== undefined ? Math.round(parsed.estimatedTimeS * 1000) : undefined;
    const wait = retryAfterMs ?? estimate;
    return new ModelLoadingError({
      ...context,
      ...(wait !== undefined && { retryAfterMs: wait, hint: `Retry in about ${Math.ceil(wait / 1000)} s.` }),
    });
  }
  if (cannotServe(status, parsed)) return new UnsupportedRequestError(context);
  if (status === 400 || status === 409 || status === 413 || status === 422 || status === 431) {
    return new BadInputError(context);
  }
  if (status === 408) return new RequestTimeoutError(context);
  if (status >= 500) {
    return new ServerError({ ...context, ...(retryAfterMs !== undefined && { retryAfterMs }) });
  }
  return new BadInputError(context);
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `error` is the abort of `signal` or any `AbortError`. */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/**
 * Maps an exception thrown while calling a backend (by `fetch`, a client library or a stream
 * reader) to the error the caller should see:
 * - an abort by the caller's signal rethrows the signal's reason, except that a `TimeoutError`
 *   reason becomes {@link RequestTimeoutError};
 * - connection failures (refused, reset, DNS, closed mid-body) become {@link BackendUnreachableError};
 * - ragbridge errors pass through unchanged; anything else becomes {@link InvalidResponseError}
 *   unless `fallback` says otherwise.
 */
export function errorFromException(
  error: unknown,
  target: CallTarget,
  signal?: AbortSignal,
  fallback?: (error: unknown) => RagbridgeError,
): unknown {
  if (RagbridgeError.isInstance(error)) return error;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') {
      return new RequestTimeoutError({ ...target, cause: reason, message: 'The request was cancelled by its deadline' });
    }
    return reason ?? error;
  }
  if ((error as { name?: unknown })?.name === 'TimeoutError') {
    return new RequestTimeoutError({ ...target, cause: error });
  }
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (
    (code !== undefined && UNREACHABLE_CODES.has(code)) ||
    /fetch failed|socket hang up|\bterminated\b|other side closed|premature close|network error|ECONNREFUSED/i.test(message)
  ) {
    return new BackendUnreachableError({
      ...target,
      cause: error,
      message: code ? `Connection failed (${code})` : `Connection failed: ${message}`,
    });
  }
  if (fallback) return fallback(error);
  return new InvalidResponseError({ ...target, cause: error, message });
}

/** Throws the signal's reason (mapped like {@link errorFromException}) when it is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, target: CallTarget): void {
  if (signal?.aborted) throw errorFromException(signal.reason, target, signal);
}

/** Parses a JSON response body, throwing {@link InvalidResponseError} (with the body) when it is not JSON. */
export function parseJsonBody(body: string, target: CallTarget): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidResponseError({
      ...target,
      cause: error,
      responseBody: body,
      message: `The response is not valid JSON (${body.length} bytes: ${JSON.stringify(body.slice(0, 60))})`,
    });
  }
}
