import { BadInputError, InvalidResponseError } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { HF_INFERENCE_PROVIDERS_PRICES } from './hf-price-table.js';
import { pricesFromHfRouterCatalog } from './hf-router-catalog.js';
import { createPriceBook, splitProviderSuffix } from './price-book.js';

const HF = 'hf-inference-providers';
const call = (modelId: string, extra: { provider?: string; backend?: string } = {}) => ({
  backend: extra.backend ?? HF,
  modelId,
  inputTokens: 1_000_000,
  outputTokens: 1_000_000,
  ...(extra.provider !== undefined && { provider: extra.provider }),
});

describe('createPriceBook', () => {
  const book = createPriceBook({
    table: {
      asOf: '2026-11-25',
      source: 'test table',
      prices: [
        { backend: HF, modelId: 'org/chat', provider: 'groq', inputPerMillion: 0.1, outputPerMillion: 0.5 },
        { backend: HF, modelId: 'org/chat', provider: 'together', inputPerMillion: 0.2, outputPerMillion: 0.6 },
        { backend: HF, modelId: 'org/same', provider: 'groq', inputPerMillion: 1, outputPerMillion: 1 },
        { backend: HF, modelId: 'org/same', provider: 'cerebras', inputPerMillion: 1, outputPerMillion: 1 },
      ],
    },
    overrides: [
      { backend: HF, modelId: 'org/chat', provider: 'together', inputPerMillion: 0.15, outputPerMillion: 0.55 },
      { backend: 'hf-tei', modelId: '*', inputPerMillion: 0 },
    ],
  });

  it('prices per input and output token for the serving provider', () => {
    const quote = book.quote(call('org/chat', { provider: 'groq' }));
    expect(quote.state).toBe('priced');
    expect(quote.costUsd).toBeCloseTo(0.6, 12);
  });

  it('takes the provider from a :provider suffix, and ignores routing policies', () => {
    expect(book.quote(call('org/chat:groq')).costUsd).toBeCloseTo(0.6, 12);
    expect(splitProviderSuffix('org/chat:fastest')).toEqual({ model: 'org/chat', provider: undefined });
    expect(splitProviderSuffix('llama3.2:3b')).toEqual({ model: 'llama3.2:3b', provider: undefined });
    expect(book.quote(call('org/chat:fastest')).state).toBe('unknown');
  });

  it('lets user overrides win over the table', () => {
    expect(book.quote(call('org/chat', { provider: 'together' })).costUsd).toBeCloseTo(0.7, 12);
  });

  it('prices every model of a backend from a wildcard override', () => {
    expect(book.quote(call('BAAI/bge-small-en-v1.5', { backend: 'hf-tei' }))).toMatchObject({ state: 'priced', costUsd: 0 });
  });

  it('reports an unknown price instead of $0', () => {
    const missing = book.quote(call('org/never-heard-of'));
    expect(missing).toMatchObject({ state: 'unknown', costUsd: null });
    expect(missing.state === 'unknown' && missing.reason).toMatch(/no price is known/);
    const ambiguous = book.quote(call('org/chat'));
    expect(ambiguous.state === 'unknown' && ambiguous.reason).toMatch(/differs by provider/);
    expect(book.quote(call('org/chat', { provider: 'nebius' })).state).toBe('unknown');
  });

  it('prices a model whose providers agree even when the provider is unknown', () => {
    expect(book.quote(call('org/same')).costUsd).toBeCloseTo(2, 12);
  });

  it('estimates with the highest price when the provider is not known yet', () => {
    expect(book.estimate(call('org/chat'))).toBeCloseTo(0.7, 12);
    expect(book.estimate(call('org/chat', { provider: 'groq' }))).toBeCloseTo(0.6, 12);
    expect(book.estimate(call('org/never-heard-of'))).toBeNull();
  });

  it('prices local backends at $0', () => {
    expect(book.quote(call('llama3.2:3b', { backend: 'ollama' }))).toEqual({ state: 'local', costUsd: 0 });
    expect(book.isLocal('transformersjs')).toBe(true);
    expect(book.isLocal('extractive')).toBe(true);
    expect(book.isLocal(HF)).toBe(false);
    const custom = createPriceBook({ localBackends: ['llamafile'] });
    expect(custom.isLocal('llamafile')).toBe(true);
    expect(custom.isLocal('ollama')).toBe(false);
  });

  it('rejects malformed prices', () => {
    expect(() => createPriceBook({ overrides: [{ modelId: 'x', inputPerMillion: -1 }] })).toThrow(BadInputError);
    expect(() => createPriceBook({ overrides: [{ modelId: 'x', inputPerMillion: 1, currency: 'EUR' } as never] })).toThrow(BadInputError);
  });
});

describe('the built-in Hugging Face price table', () => {
  it('carries its date and source and says to verify it', () => {
    expect(HF_INFERENCE_PROVIDERS_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(HF_INFERENCE_PROVIDERS_PRICES.source).toMatch(/verify/);
    const book = createPriceBook();
    expect(book.table).toEqual({ asOf: HF_INFERENCE_PROVIDERS_PRICES.asOf, source: HF_INFERENCE_PROVIDERS_PRICES.source });
    for (const price of HF_INFERENCE_PROVIDERS_PRICES.prices) {
      expect(price.provider, `${price.modelId} should name its provider`).toBeTruthy();
      expect(price.source, `${price.modelId} should name its source`).toMatch(/^https:\/\//);
    }
  });

  it('prices a routed call by the provider the router reports', () => {
    const book = createPriceBook();
    const quote = book.quote({ backend: HF, modelId: 'meta-llama/Llama-3.1-8B-Instruct', provider: 'cerebras', inputTokens: 2000, outputTokens: 500 });
    expect(quote.state).toBe('priced');
    // Embeddings on hf-inference are billed by compute time, not tokens: unknown, not $0.
    expect(book.quote({ backend: HF, modelId: 'BAAI/bge-small-en-v1.5', inputTokens: 10, outputTokens: 0 }).state).toBe('unknown');
  });
});

describe('pricesFromHfRouterCatalog', () => {
  // The shape of GET https://router.huggingface.co/v1/models (prices in USD per million tokens).
  const catalog = {
    object: 'list',
    data: [
      {
        id: 'org/chat',
        object: 'model',
        owned_by: 'org',
        architecture: { input_modalities: ['text'], output_modalities: ['text'] },
        providers: [
          { provider: 'groq', status: 'live', context_length: 131072, pricing: { input: 0.1, output: 0.5 }, supports_tools: true },
          { provider: 'nebius', status: 'live', context_length: 131072 },
          { provider: 'novita', status: 'staging', pricing: { input: 0.01, output: 0.01 } },
        ],
      },
      { id: 'org/image', object: 'model', providers: [{ provider: 'fal-ai', status: 'live' }] },
    ],
  };

  it('keeps priced live providers and leaves the rest unknown', () => {
    const table = pricesFromHfRouterCatalog(catalog, { asOf: '2026-11-25' });
    expect(table.asOf).toBe('2026-11-25');
    expect(table.prices).toEqual([
      { backend: HF, modelId: 'org/chat', provider: 'groq', inputPerMillion: 0.1, outputPerMillion: 0.5, source: 'https://router.huggingface.co/v1/models' },
    ]);
    const book = createPriceBook({ table });
    expect(book.quote(call('org/chat', { provider: 'nebius' })).state).toBe('unknown');
    expect(pricesFromHfRouterCatalog(catalog, { includeNotLive: true }).prices).toHaveLength(2);
  });

  it('rejects something that is not a catalog', () => {
    expect(() => pricesFromHfRouterCatalog({ models: [] })).toThrow(InvalidResponseError);
  });
});
