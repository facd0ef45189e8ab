import {
  AuthenticationError,
  BackendUnreachableError,
  BadInputError,
  InvalidResponseError,
  ModelLoadingError,
  ModelNotFoundError,
  PaymentRequiredError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  UnsupportedRequestError,
  type RagbridgeError,
} from '../errors.js';

/**
 * Failures every network adapter must map to the same typed error. A conformance harness
 * injects them into the backend under test (for HTTP adapters: the fake server).
 *
 * - `rate-limit-retry-after` must send `Retry-After: 7`; `loading` must say `estimated_time` 20 s.
 * - `hang` never answers; the suite aborts it with a `TimeoutError` reason.
 * - `unreachable` closes the connection without a response.
 * - `drop-mid-stream` sends part of the response (some stream events) and then cuts the connection.
 * - `unsupported` answers that this model or provider cannot serve the request (e.g. TGI's 422
 *   `Template error: template not found`); a service that has no such answer leaves it out.
 */
export type FaultKind =
  | 'auth'
  | 'payment'
  | 'not-found'
  | 'bad-input'
  | 'rate-limit'
  | 'rate-limit-retry-after'
  | 'loading'
  | 'server-error'
  | 'malformed'
  | 'hang'
  | 'unreachable'
  | 'drop-mid-stream'
  | 'unsupported';

/** Every fault kind, in a stable order. */
export const ALL_FAULT_KINDS: readonly FaultKind[] = [
  'auth',
  'payment',
  'not-found',
  'bad-input',
  'rate-limit',
  'rate-limit-retry-after',
  'loading',
  'server-error',
  'malformed',
  'hang',
  'unreachable',
  'drop-mid-stream',
  'unsupported',
];

/** The error class and fields each fault must surface as. */
export const EXPECTED_FAULT_ERRORS: Readonly<
  Record<FaultKind, { errorClass: { isInstance(value: unknown): boolean; errorName: string }; retryAfterMs?: number; retryable: boolean }>
> = {
  auth: { errorClass: AuthenticationError, retryable: false },
  payment: { errorClass: PaymentRequiredError, retryable: false },
  'not-found': { errorClass: ModelNotFoundError, retryable: false },
  'bad-input': { errorClass: BadInputError, retryable: false },
  'rate-limit': { errorClass: RateLimitError, retryable: true },
  'rate-limit-retry-after': { errorClass: RateLimitError, retryAfterMs: 7000, retryable: true },
  loading: { errorClass: ModelLoadingError, retryAfterMs: 20000, retryable: true },
  'server-error': { errorClass: ServerError, retryable: true },
  malformed: { errorClass: InvalidResponseError, retryable: false },
  hang: { errorClass: RequestTimeoutError, retryable: true },
  unreachable: { errorClass: BackendUnreachableError, retryable: true },
  'drop-mid-stream': { errorClass: BackendUnreachableError, retryable: true },
  unsupported: { errorClass: UnsupportedRequestError, retryable: false },
};

/** Lets a conformance suite make the backend under test fail in a chosen way. */
export interface ConformanceFaults {
  /** The kinds this harness can inject; checks for other kinds are skipped. */
  readonly supports: readonly FaultKind[];
  /** Makes every following call fail with `kind` until {@link clear}. */
  inject(kind: FaultKind): void | Promise<void>;
  /** Removes the injected fault. */
  clear(): void | Promise<void>;
}

export type { RagbridgeError };
