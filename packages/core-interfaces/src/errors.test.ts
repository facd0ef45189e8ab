import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BudgetExceededError,
  ModelNotFoundError,
  RagbridgeError,
  RateLimitError,
  ServerError,
  BadInputError,
  UnsupportedRequestError,
} from './errors.js';
import { registerSecret } from './redact.js';

describe('typed errors', () => {
  it('have stable names and retryability', () => {
    const e = new RateLimitError({ backend: 'hf-inference-providers', modelId: 'org/m', retryAfterMs: 3000 });
    expect(e.name).toBe('RateLimitError');
    expect(e.isRetryable).toBe(true);
    expect(e.retryAfterMs).toBe(3000);
    expect(new AuthenticationError().isRetryable).toBe(false);
    expect(new ServerError().isRetryable).toBe(true);
    expect(new BudgetExceededError().name).toBe('BudgetExceededError');
  });

  it('UnsupportedRequestError is its own kind: not retryable, and not a BadInputError (a fallback chain moves on)', () => {
    const e = new UnsupportedRequestError({ backend: 'hf-inference-providers', modelId: 'org/m', statusCode: 422 });
    expect(e.name).toBe('UnsupportedRequestError');
    expect(e.isRetryable).toBe(false);
    expect(UnsupportedRequestError.isInstance(e)).toBe(true);
    expect(BadInputError.isInstance(e)).toBe(false);
    expect(e.message).toMatch(/cannot serve this request .*another model or provider/);
  });

  it('isInstance follows the class hierarchy and nothing else', () => {
    const e = new ModelNotFoundError({ modelId: 'x' });
    expect(ModelNotFoundError.isInstance(e)).toBe(true);
    expect(RagbridgeError.isInstance(e)).toBe(true);
    expect(RateLimitError.isInstance(e)).toBe(false);
    expect(RagbridgeError.isInstance(new Error('plain'))).toBe(false);
    expect(RagbridgeError.isInstance(null)).toBe(false);
    expect(RagbridgeError.isInstance({ name: 'ModelNotFoundError' })).toBe(false);
  });

  it('isInstance works across two copies of the package, where instanceof does not', async () => {
    // A second module instance stands for a duplicate copy of @ragbridge/core-interfaces in node_modules.
    const duplicate = './errors.ts?copy=2';
    const copy = (await import(/* @vite-ignore */ duplicate)) as typeof import('./errors.js');
    expect(copy.RateLimitError).not.toBe(RateLimitError);
    const foreign = new copy.RateLimitError({ modelId: 'm' });
    expect(foreign instanceof RateLimitError).toBe(false);
    expect(RateLimitError.isInstance(foreign)).toBe(true);
    expect(RagbridgeError.isInstance(foreign)).toBe(true);
    expect(copy.RateLimitError.isInstance(new RateLimitError())).toBe(true);
    expect(AuthenticationError.isInstance(foreign)).toBe(false);
  });

  it('messages name backend, model and endpoint, say what to do, and never contain tokens', () => {
    registerSecret('sk-provider-secret-123456');
    const e = new AuthenticationError({
      backend: 'hf-inference-providers',
      modelId: 'meta-llama/Llama-3.1-8B-Instruct',
      endpoint: 'https://user:pw@router.huggingface.co/v1/chat/completions?api_key=sk-provider-secret-123456',
      statusCode: 401,
      message: 'Invalid credentials for hf_abcdefghijklmnop and sk-provider-secret-123456',
      responseBody: '{"error":"bad token","authorization":"Bearer hf_abcdefghijklmnop"}',
    });
    expect(e.message).toContain('hf-inference-providers');
    expect(e.message).toContain('meta-llama/Llama-3.1-8B-Instruct');
    expect(e.message).toContain('router.huggingface.co');
    expect(e.message).toContain('HTTP 401');
    expect(e.message).toMatch(/HF_TOKEN/);
    const everything = JSON.stringify({ m: e.message, b: e.responseBody, u: e.endpoint, s: e.stack });
    expect(everything).not.toContain('hf_abcdefghijklmnop');
    expect(everything).not.toContain('sk-provider-secret-123456');
    expect(everything).not.toContain('user:pw');
  });

  it('keeps the cause', () => {
    const cause = new Error('socket');
    expect(new ServerError({ cause }).cause).toBe(cause);
  });
});
