import { InvalidResponseError } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { ModelPrice, PriceTable } from './price-book.js';

/** The router's model listing, whose providers carry per-million-token prices. */
export const HF_ROUTER_MODELS_URL = 'https://router.huggingface.co/v1/models';

// The router's model catalog (`GET https://router.huggingface.co/v1/models`): `{ data: [{ id,
// providers: [{ provider, status, context_length?, pricing?: { input, output }, … }] }] }` (as the
// Hugging Face inference playground reads it). Only the fields we read are checked; everything
// else may change freely.
const catalogSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      providers: z
        .array(
          z.object({
            provider: z.string(),
            status: z.string().nullish(),
            pricing: z.object({ input: z.number().nonnegative().nullish(), output: z.number().nonnegative().nullish() }).nullish(),
          }),
        )
        .nullish(),
    }),
  ),
});

/** Options of {@link pricesFromHfRouterCatalog}. */
export interface HfRouterCatalogOptions {
  /** The date the catalog was fetched (YYYY-MM-DD). @default today (UTC) */
  asOf?: string;
  /** Keep providers whose status is not `live` (e.g. `staging`). @default false */
  includeNotLive?: boolean;
}

/**
 * Turns the Hugging Face router's model catalog (the JSON of `GET
 * https://router.huggingface.co/v1/models`, whose providers carry `pricing.input` and
 * `pricing.output` in USD per million tokens) into a {@link PriceTable} for `createPriceBook`.
 * Providers without a price are left out, so their calls stay "unknown price".
 */
export function pricesFromHfRouterCatalog(catalog: unknown, options: HfRouterCatalogOptions = {}): PriceTable {
  const parsed = catalogSchema.safeParse(catalog);
  if (!parsed.success) {
    throw new InvalidResponseError({
      backend: 'hf-inference-providers',
      endpoint: HF_ROUTER_MODELS_URL,
      message: `The model catalog is not in the expected format: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`,
    });
  }
  const asOf = options.asOf ?? new Date().toISOString().slice(0, 10);
  const prices: ModelPrice[] = [];
  for (const model of parsed.data.data) {
    for (const p of model.providers ?? []) {
      if (!options.includeNotLive && p.status && p.status !== 'live') continue;
      if (p.pricing?.input === undefined || p.pricing.input === null) continue;
      prices.push({
        backend: 'hf-inference-providers',
        modelId: model.id,
        provider: p.provider,
        inputPerMillion: p.pricing.input,
        outputPerMillion: p.pricing.output ?? 0,
        source: HF_ROUTER_MODELS_URL,
      });
    }
  }
  return { asOf, source: `Hugging Face router catalog (${HF_ROUTER_MODELS_URL}) fetched ${asOf}`, prices };
}
