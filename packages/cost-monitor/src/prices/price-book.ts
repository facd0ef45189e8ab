import { LOCAL_BACKENDS } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import { HF_INFERENCE_PROVIDERS_PRICES } from './hf-price-table.js';

/** Backends that run on the user's own machine: always $0 and never blocked by a budget (the backends table's local ones). */
export const DEFAULT_LOCAL_BACKENDS: readonly string[] = LOCAL_BACKENDS;

/** Router policies that pick a provider at call time (`model:fastest`); they name no provider. */
const ROUTING_POLICIES = new Set(['fastest', 'cheapest', 'preferred']);

/** The price of one model, per million tokens, in US dollars. */
export const modelPriceSchema = z.strictObject({
  /** Backend the price applies to (e.g. `hf-inference-providers`); omit for any backend. */
  backend: z.string().min(1).optional(),
  /** Model id without a `:provider` suffix, or `*` for every model of `backend`. */
  modelId: z.string().min(1),
  /** Serving provider (e.g. `together`); omit when the price holds whoever serves the model. */
  provider: z.string().min(1).optional(),
  /** USD per million input (prompt) tokens. */
  inputPerMillion: z.number().nonnegative().finite(),
  /** USD per million output (generated) tokens. @default 0 */
  outputPerMillion: z.number().nonnegative().finite().optional(),
  /** Where the number comes from (a URL, "our contract", …). */
  source: z.string().optional(),
});

/** The price of one model; see {@link modelPriceSchema}. */
export type ModelPrice = z.input<typeof modelPriceSchema>;

/** A dated table of prices, shipped as data. */
export const priceTableSchema = z.strictObject({
  /** The date (YYYY-MM-DD) the prices were read. */
  asOf: z.string().min(1),
  /** Where they were read, and how far to trust them. */
  source: z.string().min(1),
  prices: z.array(modelPriceSchema),
});

/** A dated price table; see {@link priceTableSchema}. */
export type PriceTable = z.input<typeof priceTableSchema>;

const priceBookOptionsSchema = z.strictObject({
  /** The built-in table, a table of your own, or `false` for none. @default {@link HF_INFERENCE_PROVIDERS_PRICES} */
  table: z.union([priceTableSchema, z.literal(false)]).optional(),
  /** Your prices; they win over the table (e.g. a negotiated rate, or `$0` for a self-hosted TEI). */
  overrides: z.array(modelPriceSchema).optional(),
  /** Backends that are free and local. @default {@link DEFAULT_LOCAL_BACKENDS} */
  localBackends: z.array(z.string().min(1)).optional(),
});

/** Options of {@link createPriceBook}. */
export type PriceBookOptions = z.input<typeof priceBookOptionsSchema>;

/** The model call a price is asked for. */
export interface PricedCall {
  backend: string;
  /** As configured, possibly with a `:provider` or `:policy` suffix. */
  modelId: string;
  /** The provider that served (or will serve) the call, when known. */
  provider?: string;
  inputTokens: number;
  outputTokens: number;
}

/** The cost of a call, or why it has none. */
export type PriceQuote =
  | { state: 'priced'; costUsd: number; price: ModelPrice }
  | { state: 'local'; costUsd: 0 }
  | { state: 'unknown'; costUsd: null; reason: string };

/** Prices calls: user overrides first, then the table; local backends are $0. */
export interface PriceBook {
  /** Date and source of the table in use (`null` without one). */
  readonly table: { asOf: string; source: string } | null;
  /** The cost of a finished call. With an unknown provider and prices that differ by provider, the price is unknown. */
  quote(call: PricedCall): PriceQuote;
  /**
   * A cost to reserve before a call: like {@link quote}, but when the provider is not known yet it
   * takes the highest price among the providers listed. `null` when no price is known.
   */
  estimate(call: PricedCall): number | null;
  /** True for a local backend. */
  isLocal(backend: string): boolean;
}

interface NormalizedPrice {
  backend: string | undefined;
  modelId: string;
  provider: string | undefined;
  input: number;
  output: number;
  original: ModelPrice;
}

function normalize(price: z.output<typeof modelPriceSchema>): NormalizedPrice {
  return {
    backend: price.backend,
    modelId: price.modelId,
    provider: price.provider,
    input: price.inputPerMillion,
    output: price.outputPerMillion ?? 0,
    original: price,
  };
}

/** Splits `org/model:together` into the model and the provider it names (policies name none). */
export function splitProviderSuffix(modelId: string): { model: string; provider: string | undefined } {
  const colon = modelId.lastIndexOf(':');
  const slash = modelId.indexOf('/');
  if (colon <= 0 || slash < 0 || colon < slash) return { model: modelId, provider: undefined };
  const suffix = modelId.slice(colon + 1);
  const model = modelId.slice(0, colon);
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(suffix)) return { model: modelId, provider: undefined };
  return { model, provider: ROUTING_POLICIES.has(suffix) ? undefined : suffix };
}

const costOf = (p: NormalizedPrice, call: PricedCall): number => (call.inputTokens * p.input + call.outputTokens * p.output) / 1_000_000;

/**
 * Creates a {@link PriceBook}. Unknown prices stay unknown (the monitor reports them); nothing is
 * silently priced at $0 except the local backends.
 */
export function createPriceBook(options: PriceBookOptions = {}): PriceBook {
  const parsed = parseOptions(priceBookOptionsSchema, options, 'createPriceBook');
  const table = parsed.table === false ? undefined : (parsed.table ?? HF_INFERENCE_PROVIDERS_PRICES);
  // Overrides replace table rows with the same backend, model and provider, and add new ones.
  const keyOf = (p: NormalizedPrice): string => `${p.backend ?? '*'}\u0000${p.modelId}\u0000${p.provider ?? '*'}`;
  const merged = new Map<string, NormalizedPrice>();
  if (table) for (const p of parseOptions(priceTableSchema, table, 'price table').prices.map(normalize)) merged.set(keyOf(p), p);
  for (const p of (parsed.overrides ?? []).map(normalize)) merged.set(keyOf(p), p);
  const all = [...merged.values()];
  const local = new Set(parsed.localBackends ?? DEFAULT_LOCAL_BACKENDS);

  /** Candidate prices for the call: for its model id (else `*`), narrowed to its provider when known. */
  const candidates = (call: PricedCall): NormalizedPrice[] | undefined => {
    const split = splitProviderSuffix(call.modelId);
    const provider = call.provider ?? split.provider;
    const ids = split.model === call.modelId ? [call.modelId] : [call.modelId, split.model];
    const forBackend = all.filter((p) => p.backend === undefined || p.backend === call.backend);
    for (const id of [...ids, '*']) {
      const matching = forBackend.filter((p) => p.modelId === id);
      if (matching.length === 0) continue;
      if (provider === undefined) return matching;
      // A backend-specific row beats one for any backend.
      const exact = matching.filter((p) => p.provider === provider);
      const chosen = exact.length ? exact : matching.filter((p) => p.provider === undefined);
      if (chosen.length) return chosen.sort((a, b) => Number(b.backend !== undefined) - Number(a.backend !== undefined)).slice(0, 1);
    }
    return undefined;
  };

  return {
    table: table ? { asOf: table.asOf, source: table.source } : null,
    isLocal: (backend) => local.has(backend),
    quote(call) {
      if (local.has(call.backend)) return { state: 'local', costUsd: 0 };
      const found = candidates(call);
      if (!found) {
        return { state: 'unknown', costUsd: null, reason: `no price is known for ${call.backend} model "${call.modelId}"` };
      }
      const general = found.find((p) => p.provider === undefined);
      const chosen = general ?? found[0];
      const distinct = new Set(found.map((p) => `${p.input}/${p.output}`));
      if (!general && distinct.size > 1) {
        return {
          state: 'unknown',
          costUsd: null,
          reason: `the price of ${call.backend} model "${call.modelId}" differs by provider and the serving provider is not known`,
        };
      }
      return { state: 'priced', costUsd: costOf(chosen as NormalizedPrice, call), price: (chosen as NormalizedPrice).original };
    },
    estimate(call) {
      if (local.has(call.backend)) return 0;
      const found = candidates(call);
      if (!found) return null;
      return Math.max(...found.map((p) => costOf(p, call)));
    },
  };
}
