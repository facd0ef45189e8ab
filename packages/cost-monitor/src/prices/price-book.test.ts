import { BadInputError, InvalidResponseError } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { HF_INFERENCE_PROVIDERS_PRICES } from './hf-price-table.js';
import { pricesFromHfRouterCatalog } from './hf-router-catalog.js';
import { EndpointUptime } from './endpoint-uptime.js';
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
    // A policy names no provider: until the serving one is known, the highest listed price is charged.
    expect(book.quote(call('org/chat:fastest'))).toMatchObject({ state: 'estimated', costUsd: 0.7 });
  });

  it('lets user overrides win over the table', () => {
    expect(book.quote(call('org/chat', { provider: 'together' })).costUsd).toBeCloseTo(0.7, 12);
    // An override naming no provider prices the model whoever serves it: the table's provider rows give way.
    const flat = createPriceBook({ table: { asOf: '2026-11-25', source: 'test', prices: [{ backend: HF, modelId: 'org/chat', provider: 'groq', inputPerMillion: 0.1 }] }, overrides: [{ backend: HF, modelId: 'org/chat', inputPerMillion: 2 }] });
    expect(flat.quote(call('org/chat', { provider: 'groq' }))).toMatchObject({ state: 'priced', costUsd: 2 });
  });

  it('prices every model of a backend from a wildcard override', () => {
    expect(book.quote(call('BAAI/bge-small-en-v1.5', { backend: 'hf-tei' }))).toMatchObject({ state: 'priced', costUsd: 0 });
  });

  it('reports an unknown price instead of $0', () => {
    const missing = book.quote(call('org/never-heard-of'));
    expect(missing).toMatchObject({ state: 'unknown', costUsd: null });
    expect(missing.state === 'unknown' && missing.reason).toMatch(/no price is known/);
  });

  it('charges a model served by a provider without a price at the highest price listed for it, so budgets count it', () => {
    const ambiguous = book.quote(call('org/chat'));
    expect(ambiguous).toMatchObject({ state: 'estimated', costUsd: 0.7 });
    expect(ambiguous.state === 'estimated' && ambiguous.reason).toMatch(/differs by provider and the serving provider is not known: charged at the highest price/);
    const otherProvider = book.quote(call('org/chat', { provider: 'nebius' }));
    expect(otherProvider).toMatchObject({ state: 'estimated', costUsd: 0.7, price: { provider: 'together' } });
    expect(otherProvider.state === 'estimated' && otherProvider.reason).toMatch(/no price for provider "nebius"/);
    // A wildcard row for the backend prices an unlisted provider exactly.
    const withWildcard = createPriceBook({ table: false, overrides: [{ backend: HF, modelId: 'org/chat', provider: 'groq', inputPerMillion: 1 }, { backend: HF, modelId: '*', provider: 'nebius', inputPerMillion: 2 }] });
    expect(withWildcard.quote(call('org/chat', { provider: 'nebius' }))).toMatchObject({ state: 'priced', costUsd: 2 });
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
    expect(() => createPriceBook({ overrides: [{ modelId: 'x' }] })).toThrow(/at least one of inputPerMillion, outputPerMillion, perRequest, perHour/);
    expect(() => createPriceBook({ overrides: [{ modelId: 'x', perRequest: 1, scaleToZeroMinutes: 5 }] })).toThrow(/scaleToZeroMinutes needs perHour/);
  });
});

describe('prices per request and per hour', () => {
  const book = createPriceBook({
    table: false,
    overrides: [
      // hf-inference embeddings, billed by compute time: an average per request.
      { backend: HF, modelId: 'BAAI/bge-small-en-v1.5', provider: 'hf-inference', perRequest: 0.0001 },
      // A dedicated endpoint at $0.50 an hour that scales to zero after 10 idle minutes.
      { backend: 'hf-tei', modelId: '*', perHour: 0.5, scaleToZeroMinutes: 10 },
    ],
  });

  it('multiplies a per-request price by the requests a call sent, and adds token prices', () => {
    const embed = { backend: HF, modelId: 'BAAI/bge-small-en-v1.5', provider: 'hf-inference', inputTokens: 5000, outputTokens: 0 };
    const three = book.quote({ ...embed, requests: 3 });
    expect(three.state).toBe('priced');
    expect(three.costUsd).toBeCloseTo(0.0003, 12);
    expect(book.quote(embed).costUsd).toBeCloseTo(0.0001, 12);
    const both = createPriceBook({ table: false, overrides: [{ modelId: 'm', inputPerMillion: 1, perRequest: 0.01 }] });
    expect(both.quote({ backend: 'x', modelId: 'm', inputTokens: 1_000_000, outputTokens: 0, requests: 2 }).costUsd).toBeCloseTo(1.02, 12);
  });

  it('prices endpoint hours and says how long the endpoint stays up', () => {
    const tei = { backend: 'hf-tei', modelId: 'BAAI/bge-small-en-v1.5', inputTokens: 100, outputTokens: 0 };
    expect(book.hourly(tei)).toEqual({ perHour: 0.5, scaleToZeroMs: 600_000 });
    expect(book.quote({ ...tei, uptimeHours: 0.25 })).toMatchObject({ state: 'priced', costUsd: 0.125 });
    expect(book.hourly({ backend: HF, modelId: 'BAAI/bge-small-en-v1.5', provider: 'hf-inference' })).toBeUndefined();
    expect(createPriceBook({ table: false, overrides: [{ modelId: 'm', perHour: 1 }] }).hourly({ backend: 'x', modelId: 'm' })).toEqual({ perHour: 1, scaleToZeroMs: 15 * 60_000 });
  });
});

describe('EndpointUptime', () => {
  it('charges a call the uptime it adds: a full idle window when the endpoint was down, the gap when it was up', () => {
    const uptime = new EndpointUptime();
    const idle = 10 * 60_000;
    const t0 = Date.UTC(2026, 0, 15, 12);
    const charged: number[] = [];
    charged.push(uptime.charge('tei', t0, idle));
    expect(charged[0]).toBeCloseTo(10 / 60, 12);
    expect(uptime.peek('tei', t0 + 60_000, idle)).toBeCloseTo(1 / 60, 12);
    charged.push(uptime.charge('tei', t0 + 60_000, idle));
    expect(charged[1]).toBeCloseTo(1 / 60, 12);
    // A call that began before the last one adds nothing.
    charged.push(uptime.charge('tei', t0 + 30_000, idle));
    expect(charged[2]).toBe(0);
    // Idle for the whole window: the endpoint scaled to zero, and the next call wakes it again.
    charged.push(uptime.charge('tei', t0 + 60_000 + idle, idle));
    expect(charged[3]).toBeCloseTo(10 / 60, 12);
    // Up 11 minutes (t0 to the second call plus the window), down, then up 10: 21 minutes in all.
    expect(charged.reduce((a, b) => a + b, 0) * 60).toBeCloseTo(21, 9);
    // Endpoints are counted apart.
    expect(uptime.charge('other', t0 + 60_000, idle)).toBeCloseTo(10 / 60, 12);
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
    expect(book.quote(call('org/chat', { provider: 'groq' })).state).toBe('priced');
    expect(book.quote(call('org/image')).state).toBe('unknown');
    expect(pricesFromHfRouterCatalog(catalog, { includeNotLive: true }).prices).toHaveLength(2);
  });

  it('rejects something that is not a catalog', () => {
    expect(() => pricesFromHfRouterCatalog({ models: [] })).toThrow(InvalidResponseError);
  });
});
