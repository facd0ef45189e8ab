import { describe, expect, it } from 'vitest';
import { BACKENDS, isLocalBackend, LOCAL_BACKENDS, TERMINAL_BACKENDS } from './backends.js';

describe('the backends table', () => {
  it('says which backends run on this machine; unknown names count as hosted (they may cost money)', () => {
    expect(LOCAL_BACKENDS).toEqual(['ollama', 'transformersjs', 'extractive', 'keyword', 'fused-order']);
    expect(isLocalBackend('ollama')).toBe(true);
    expect(isLocalBackend('hf-inference-providers')).toBe(false);
    expect(isLocalBackend('hf-tei')).toBe(false);
    expect(isLocalBackend('some-new-provider')).toBe(false);
    expect(isLocalBackend('toString')).toBe(false);
  });

  it('names one terminal step per model part, each local', () => {
    expect(TERMINAL_BACKENDS).toEqual({ answer: 'extractive', embedder: 'keyword', reranker: 'fused-order' });
    for (const name of Object.values(TERMINAL_BACKENDS)) expect(BACKENDS[name].location).toBe('local');
  });
});
