import { afterEach, describe, expect, it, vi } from 'vitest';
import { normalizeOllamaHost, resolveOllamaHostConfig } from './ollama-host.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('normalizeOllamaHost', () => {
  it.each([
    ['127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['localhost', 'http://localhost:11434'],
    [':5555', 'http://127.0.0.1:5555'],
    ['http://127.0.0.1', 'http://127.0.0.1:11434'],
    ['http://gpu-box:8080/', 'http://gpu-box:8080'],
    ['http://proxy:80', 'http://proxy:80'],
    ['https://ollama.example.com', 'https://ollama.example.com:443'],
    ['https://ollama.example.com/ollama/', 'https://ollama.example.com:443/ollama'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:9000', 'http://127.0.0.1:9000'],
    ['[::1]:11434', 'http://[::1]:11434'],
    ['http://[::]', 'http://[::1]:11434'],
    ['  ', 'http://127.0.0.1:11434'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeOllamaHost(raw).url).toBe(expected);
  });

  it('moves credentials out of the address into a Basic authorization value', () => {
    expect(normalizeOllamaHost('https://me:p%40ss@ollama.example.com')).toEqual({
      url: 'https://ollama.example.com:443',
      authorization: `Basic ${Buffer.from('me:p@ss').toString('base64')}`,
    });
  });

  it('refuses other schemes', () => {
    expect(() => normalizeOllamaHost('ftp://x')).toThrow(/scheme/);
  });
});

describe('resolveOllamaHostConfig', () => {
  it('prefers the host option, then OLLAMA_HOST read now, then the default', () => {
    vi.stubEnv('OLLAMA_HOST', 'gpu-box:1234');
    expect(resolveOllamaHostConfig('other:1').url).toBe('http://other:1');
    expect(resolveOllamaHostConfig(undefined).url).toBe('http://gpu-box:1234');
    vi.stubEnv('OLLAMA_HOST', undefined);
    expect(resolveOllamaHostConfig(undefined).url).toBe('http://127.0.0.1:11434');
  });
});
