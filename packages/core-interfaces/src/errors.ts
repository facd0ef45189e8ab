import { redactSecrets, redactUrl } from './redact.js';

const MARKER_PREFIX = '@ragbridge/error/';

function marker(errorName: string): symbol {
  return Symbol.for(MARKER_PREFIX + errorName);
}

/** Where and how a model call failed. Every field is optional; messages use what is present. */
export interface RagbridgeErrorContext {
  /** Backend family, e.g. `hf-inference-providers`, `hf-tei`, `ollama`, `transformersjs`. */
  backend?: string;
  modelId?: string;
  /** The URL called (shown redacted). */
  endpoint?: string;
  statusCode?: number;
  /** The response body, truncated to 2,000 characters and redacted. */
  responseBody?: string;
  /** How long the server asked us to wait before trying again. */
  retryAfterMs?: number;
  /** The backend's request id, for support. */
  requestId?: string;
  cause?: unknown;
}

/** Options of every error constructor. */
export interface RagbridgeErrorOptions extends RagbridgeErrorContext {
  /** What went wrong, in one sentence (the server's own message is a good choice). */
  message?: string;
  /** What the user can do about it; replaces the class's default advice. */
  hint?: string;
}

type ErrorClass<T extends RagbridgeError> = (abstract new (...args: never[]) => T) & { readonly errorName: string };

/**
 * Base of every error ragbridge throws. Each subclass has a stable `name`, an `isRetryable` flag,
 * and a static `isInstance()` that works across duplicate copies of this package (it checks a
 * `Symbol.for` marker, not the prototype chain). Messages never contain tokens.
 */
export class RagbridgeError extends Error {
  /** The stable `name` of this class. */
  static readonly errorName: string = 'RagbridgeError';
  /** Advice appended to messages when no `hint` is given. */
  static readonly defaultHint: string = '';
  /** Summary used when no `message` is given. */
  static readonly defaultMessage: string = 'The model call failed';
  /** Whether trying the same call again may succeed. */
  readonly isRetryable: boolean = false;
  readonly backend?: string;
  readonly modelId?: string;
  readonly endpoint?: string;
  readonly statusCode?: number;
  readonly responseBody?: string;
  readonly retryAfterMs?: number;
  readonly requestId?: string;

  constructor(options: RagbridgeErrorOptions = {}) {
    const ctor = new.target as typeof RagbridgeError;
    super(RagbridgeError.compose(ctor, options), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = ctor.errorName;
    for (let c: unknown = ctor; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'errorName')) {
        Object.defineProperty(this, marker((c as typeof RagbridgeError).errorName), { value: true });
      }
    }
    if (options.backend !== undefined) this.backend = options.backend;
    if (options.modelId !== undefined) this.modelId = options.modelId;
    if (options.endpoint !== undefined) this.endpoint = redactUrl(options.endpoint);
    if (options.statusCode !== undefined) this.statusCode = options.statusCode;
    if (options.responseBody !== undefined) this.responseBody = redactSecrets(options.responseBody.slice(0, 2000));
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.requestId !== undefined) this.requestId = options.requestId;
  }

  /** True when `value` is an instance of this class (or a subclass), from any copy of the package. */
  static isInstance<T extends RagbridgeError>(this: ErrorClass<T>, value: unknown): value is T {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker(this.errorName)] === true;
  }

  private static compose(ctor: typeof RagbridgeError, options: RagbridgeErrorOptions): string {
    const where: string[] = [];
    if (options.backend) where.push(options.backend);
    if (options.modelId) where.push(`model "${options.modelId}"`);
    if (options.endpoint) where.push(`at ${redactUrl(options.endpoint)}`);
    if (options.statusCode !== undefined) where.push(`(HTTP ${options.statusCode})`);
    const summary = (options.message ?? ctor.defaultMessage).trim().replace(/[.:]$/, '');
    const hint = options.hint ?? ctor.defaultHint;
    const text = `${summary}${where.length ? ` [${where.join(' ')}]` : ''}.${hint ? ` ${hint}` : ''}`;
    return redactSecrets(text);
  }
}

/** The credentials were missing, invalid, or lack access to the model (HTTP 401/403). */
export class AuthenticationError extends RagbridgeError {
  static override readonly errorName: string = 'AuthenticationError';
  static override readonly defaultMessage: string = 'Authentication failed';
  static override readonly defaultHint: string =
    'Check that the token (e.g. HF_TOKEN) is set, valid, and allowed to call this model (gated models need access granted).';
}

/** The account has no credits left (HTTP 402). */
export class PaymentRequiredError extends RagbridgeError {
  static override readonly errorName: string = 'PaymentRequiredError';
  static override readonly defaultMessage: string = 'The account has run out of credits';
  static override readonly defaultHint: string =
    'Add credits or a subscription with the provider, or switch this model part to a local backend.';
}

/** Too many requests (HTTP 429). `retryAfterMs` is set when the server said how long to wait. */
export class RateLimitError extends RagbridgeError {
  static override readonly errorName: string = 'RateLimitError';
  static override readonly defaultMessage: string = 'Rate limited';
  static override readonly defaultHint: string = 'Wait and retry, lower the request rate, or configure a fallback backend.';
  override readonly isRetryable = true;
}

/** The model does not exist, is not served by the provider, or is not pulled locally. */
export class ModelNotFoundError extends RagbridgeError {
  static override readonly errorName: string = 'ModelNotFoundError';
  static override readonly defaultMessage: string = 'Model not found';
  static override readonly defaultHint: string =
    'Check the model id; for Ollama run `ollama pull <model>`; for hosted APIs check that a provider serves it.';
}

/** The model is loading (HTTP 503 with an estimate); `retryAfterMs` holds the estimate. */
export class ModelLoadingError extends RagbridgeError {
  static override readonly errorName: string = 'ModelLoadingError';
  static override readonly defaultMessage: string = 'The model is still loading';
  static override readonly defaultHint: string = 'Retry after the estimated time.';
  override readonly isRetryable = true;
}

/** The call took longer than its deadline. */
export class RequestTimeoutError extends RagbridgeError {
  static override readonly errorName: string = 'RequestTimeoutError';
  static override readonly defaultMessage: string = 'The request timed out';
  static override readonly defaultHint: string = 'Retry, raise the timeout, or use a faster backend.';
  override readonly isRetryable = true;
}

/** The backend could not be reached, or the connection broke mid-response. */
export class BackendUnreachableError extends RagbridgeError {
  static override readonly errorName: string = 'BackendUnreachableError';
  static override readonly defaultMessage: string = 'The backend could not be reached';
  static override readonly defaultHint: string = 'Check that the server is running and the URL and port are right.';
  override readonly isRetryable = true;
}

/** The backend failed with a server error (HTTP 5xx other than loading). */
export class ServerError extends RagbridgeError {
  static override readonly errorName: string = 'ServerError';
  static override readonly defaultMessage: string = 'The backend failed';
  static override readonly defaultHint: string = 'Retry later or configure a fallback backend.';
  override readonly isRetryable = true;
}

/** The backend answered with something that is not the expected format. */
export class InvalidResponseError extends RagbridgeError {
  static override readonly errorName: string = 'InvalidResponseError';
  static override readonly defaultMessage: string = 'The backend sent a response in an unexpected format';
  static override readonly defaultHint: string =
    'Check that the endpoint serves this kind of model (chat, embeddings or reranking) and API.';
}

/** A budget does not allow the call. */
export class BudgetExceededError extends RagbridgeError {
  static override readonly errorName: string = 'BudgetExceededError';
  static override readonly defaultMessage: string = 'The budget is exhausted';
  static override readonly defaultHint: string = 'Raise the budget, wait for the window to reset, or use local models.';
}

/**
 * This model or provider cannot serve this kind of request, though another one may: a model
 * without a chat template (TGI's HTTP 422 `Template error: template not found`), a model the
 * provider does not allow or serve for this account (HTTP 400, e.g. code 40301), a request that
 * reached a server unable to answer it (HTTP 421 Misdirected Request). Not retryable: the same
 * call fails the same way. Unlike {@link BadInputError}, a fallback chain moves on to its next step.
 */
export class UnsupportedRequestError extends RagbridgeError {
  static override readonly errorName: string = 'UnsupportedRequestError';
  static override readonly defaultMessage: string = 'This model or provider cannot serve this request';
  static override readonly defaultHint: string =
    'Use another model or provider for this part (a fallback step does this on its own), or check on the model page that it supports this task.';
}

/** The input was rejected (empty, too large, wrong shape; HTTP 400/413/422). */
export class BadInputError extends RagbridgeError {
  static override readonly errorName: string = 'BadInputError';
  static override readonly defaultMessage: string = 'The input was rejected';
  static override readonly defaultHint: string = 'Fix the input as the message says.';
}
