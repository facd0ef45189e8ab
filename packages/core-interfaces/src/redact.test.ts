import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, registerSecret } from './redact.js';

describe('redactSecrets', () => {
  it('removes HF tokens, bearer credentials, key=value secrets and registered secrets', () => {
    registerSecret('ollama-proxy-key-987654');
    const text =
      'token hf_AbCdEf1234567890 Authorization: Bearer abc.def-ghi api_key=xyz123 {"password":"p4ss"} ollama-proxy-key-987654';
    const out = redactSecrets(text);
    for (const secret of ['hf_AbCdEf1234567890', 'abc.def-ghi', 'xyz123', 'p4ss', 'ollama-proxy-key-987654']) {
      expect(out).not.toContain(secret);
    }
  });

  it('leaves ordinary text alone', () => {
    expect(redactSecrets('The hf_ prefix and tokens per second')).toBe('The hf_ prefix and tokens per second');
  });

  it('redactUrl strips user-info and secret query values', () => {
    const url = redactUrl('https://me:pw@host/x?token=abc123&q=1');
    expect(url).toMatch(/^https:\/\/host\/x\?token=\[?redacted\]?&q=1$/);
    expect(url).not.toContain('abc123');
    expect(url).not.toContain('pw');
  });
});
