import { errorFromException, errorFromHttpResponse, parseJsonBody, type CallTarget } from '../http-errors.js';
import { ALL_FAULT_KINDS, type ConformanceFaults, type FaultKind } from './conformance-faults.js';

/** The HTTP response each fault stands for (bodies as Hugging Face and TEI send them). */
const HTTP_FAULTS: Partial<Record<FaultKind, { status: number; body: string; headers?: Record<string, string> }>> = {
  auth: { status: 401, body: '{"error":"Invalid credentials in Authorization header"}' },
  payment: {
    status: 402,
    body: '{"error":"You have depleted your monthly included credits. Purchase pre-paid credits to continue using Inference Providers."}',
  },
  'not-found': { status: 404, body: '{"error":"Model mock/unknown does not exist"}' },
  'bad-input': { status: 422, body: '{"error":"Input validation error: `inputs` must have less than 512 tokens. Given: 600","error_type":"Validation"}' },
  'rate-limit': { status: 429, body: '{"error":"Model is overloaded","error_type":"Overloaded"}' },
  'rate-limit-retry-after': { status: 429, body: '{"error":"Rate limit reached"}', headers: { 'retry-after': '7' } },
  loading: { status: 503, body: '{"error":"Model mock/model is currently loading","estimated_time":20.0}' },
  'server-error': { status: 500, body: '{"error":"Internal server error"}' },
  unsupported: { status: 422, body: '{"error":"Template error: template not found","error_type":"template_error"}' },
};

/**
 * Fault injection for the in-memory models: they fail as if their (imaginary) HTTP backend had
 * answered with the real error body, so the shared error mapping is what gets exercised.
 */
export class MockFaults implements ConformanceFaults {
  readonly supports: readonly FaultKind[] = ALL_FAULT_KINDS;
  /** The injected fault, if any. */
  active: FaultKind | undefined;

  inject(kind: FaultKind): void {
    this.active = kind;
  }

  clear(): void {
    this.active = undefined;
  }
}

/** Throws the error an injected fault stands for (waits for the abort on `hang`). */
export async function simulateFault(
  faults: MockFaults | undefined,
  target: CallTarget,
  signal: AbortSignal | undefined,
  streaming = false,
): Promise<void> {
  const kind = faults?.active;
  if (kind === undefined) return;
  if (kind === 'drop-mid-stream') {
    // A stream drops after some deltas (the stream does that itself); a plain call loses its body.
    if (streaming) return;
    throw errorFromException(Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } }), target, signal);
  }
  const http = HTTP_FAULTS[kind];
  if (http) {
    throw errorFromHttpResponse({ ...target, status: http.status, body: http.body, ...(http.headers && { headers: http.headers }) });
  }
  if (kind === 'malformed') {
    parseJsonBody('{"choices":[{"message":', target);
  }
  if (kind === 'unreachable') {
    throw errorFromException(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), target, signal);
  }
  if (kind === 'hang') {
    await new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(errorFromException(signal.reason, target, signal));
      signal?.addEventListener('abort', () => reject(errorFromException(signal.reason, target, signal)), { once: true });
    });
  }
}
