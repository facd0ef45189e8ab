import { describe, expect, it } from 'vitest';
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
} from './errors.js';
import { errorFromException, errorFromHttpResponse, parseJsonBody, parseRetryAfter, throwIfAborted } from './http-errors.js';

const target = { backend: 'hf-inference-providers', modelId: 'org/m', endpoint: 'https://router.huggingface.co/v1/chat/completions' };

describe('errorFromHttpResponse maps real error bodies', () => {
  const cases: Array<[string, number, string, Record<string, string>, { isInstance(v: unknown): boolean }]> = [
    ['HF 401', 401, '{"error":"Invalid credentials in Authorization header"}', {}, AuthenticationError],
    ['HF 403 gated', 403, '{"error":"Access to model org/m is restricted."}', {}, AuthenticationError],
    ['HF 402', 402, '{"error":"You have depleted your monthly included credits."}', {}, PaymentRequiredError],
    ['router unknown model', 400, '{"error":{"message":"The requested model \'x\' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}', {}, ModelNotFoundError],
    ['router no provider', 400, '{"error":{"message":"not supported by any provider you have enabled.","code":"model_not_supported"}}', {}, ModelNotFoundError],
    ['hf-inference 404', 404, '{"error":"Model x does not exist"}', {}, ModelNotFoundError],
    ['ollama not pulled', 404, '{"error":"model \'llama3.2\' not found"}', {}, ModelNotFoundError],
    ['TGI 422 model without a chat template', 422, '{"error":"Template error: template not found","error_type":"template_error"}', {}, UnsupportedRequestError],
    ['TGI 422 validation', 422, '{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096","error_type":"validation"}', {}, BadInputError],
    ['provider 400 model not allowed (code 40301)', 400, '{"error":{"message":"The model is not allowed for this account","type":"invalid_request_error","code":40301}}', {}, UnsupportedRequestError],
    ['provider 400 model not served', 400, '{"error":{"message":"Model org/m is not served by this provider","type":"invalid_request_error"}}', {}, UnsupportedRequestError],
    ['421 misdirected request', 421, '{"error":"Misdirected Request"}', {}, UnsupportedRequestError],
    ['TEI empty', 400, '{"error":"Input validation error: `inputs` cannot be empty","error_type":"Empty"}', {}, BadInputError],
    ['payload 413', 413, 'Payload Too Large', {}, BadInputError],
    ['429 without Retry-After', 429, '{"error":"Model is overloaded","error_type":"Overloaded"}', {}, RateLimitError],
    ['503 loading', 503, '{"error":"Model org/m is currently loading","estimated_time":20.0}', {}, ModelLoadingError],
    ['TEI unhealthy', 503, '{"error":"unhealthy","error_type":"Unhealthy"}', {}, ServerError],
    ['500', 500, '{"error":"boom"}', {}, ServerError],
    ['TEI backend 424', 424, '{"error":"Backend error: model is not a re-ranker model","error_type":"Backend"}', {}, BadInputError],
  ];
  for (const [name, status, body, headers, cls] of cases) {
    it(name, () => {
      const error = errorFromHttpResponse({ ...target, status, body, headers });
      expect(cls.isInstance(error)).toBe(true);
      expect(error.statusCode).toBe(status);
      expect(error.message).toContain('org/m');
    });
  }

  it('uses the server message and request id', () => {
    const error = errorFromHttpResponse({
      ...target,
      status: 401,
      body: '{"error":"Invalid credentials in Authorization header"}',
      headers: new Headers({ 'x-request-id': 'req-42' }),
    });
    expect(error.message).toContain('Invalid credentials in Authorization header');
    expect(error.requestId).toBe('req-42');
  });

  it('honours Retry-After seconds and HTTP dates on 429', () => {
    const seconds = errorFromHttpResponse({ ...target, status: 429, body: '', headers: { 'Retry-After': '7' } });
    expect(seconds.retryAfterMs).toBe(7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    const date = errorFromHttpResponse({ ...target, status: 429, body: '', headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now });
    expect(date.retryAfterMs).toBe(30_000);
    expect(errorFromHttpResponse({ ...target, status: 429, body: '' }).retryAfterMs).toBeUndefined();
  });

  it('turns estimated_time into retryAfterMs for a loading model', () => {
    const error = errorFromHttpResponse({ ...target, status: 503, body: '{"error":"Model org/m is currently loading","estimated_time":20.5}' });
    expect(error.retryAfterMs).toBe(20_500);
    expect(error.isRetryable).toBe(true);
  });

  it('uses backend-specific advice', () => {
    const error = errorFromHttpResponse({ ...target, backend: 'ollama', status: 404, body: '{"error":"model \'m\' not found"}', hints: { notFound: 'Run `ollama pull m`.' } });
    expect(error.message).toContain('ollama pull m');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, decimals and dates; ignores junk', () => {
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:00 GMT', Date.parse('2026-01-02T00:00:00Z'))).toBe(0);
  });
});

describe('errorFromException', () => {
  it('maps connection failures to BackendUnreachableError', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const error = errorFromException(refused, target);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('rethrows the caller abort reason, and maps a TimeoutError reason to RequestTimeoutError', () => {
    const user = new AbortController();
    user.abort();
    expect((errorFromException(new Error('x'), target, user.signal) as Error).name).toBe('AbortError');
    const deadline = new AbortController();
    deadline.abort(new DOMException('late', 'TimeoutError'));
    expect(RequestTimeoutError.isInstance(errorFromException(new Error('x'), target, deadline.signal))).toBe(true);
    expect(() => throwIfAborted(deadline.signal, target)).toThrow(/timed out|deadline/);
  });

  it('maps unknown failures to InvalidResponseError', () => {
    expect(InvalidResponseError.isInstance(errorFromException(new SyntaxError('Unexpected token'), target))).toBe(true);
  });

  it('tells a cut connection ("terminated") from a truncated JSON body ("Unterminated string")', () => {
    expect(BackendUnreachableError.isInstance(errorFromException(new TypeError('terminated'), target))).toBe(true);
    const truncated = new SyntaxError('Unterminated string in JSON at position 54');
    expect(InvalidResponseError.isInstance(errorFromException(truncated, target))).toBe(true);
  });

  it('parseJsonBody names the problem', () => {
    expect(() => parseJsonBody('{"a":', target)).toThrow(/not valid JSON/);
  });
});
