import { LOCAL_BACKENDS } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import { HF_INFERENCE_PROVIDERS_PRICES } from './hf-price-table.js';

/** Backends that run on the user's own machine: always $0 and never blocked by a budget (the backends table's local ones). */
export const DEFAULT_LOCAL_BACKENDS: readonly string[] = LOCAL_BACKENDS;

/** Router policies that pick a provider at call time (`model:fastest`); they name no provider. */
const ROUTING_POLICIES = new Set(['fastest', 'cheapest', 'preferred']);

/** How long a dedicated endpoint stays up after its last call when a price does not say. */
export const DEFAULT_SCALE_TO_ZERO_MINUTES = 15;

/**
 * The price of one model in US dollars: per million tokens, per request, per hour of endpoint
 * uptime, or a sum of them. At least one of the four amounts must be given.
 */
export const modelPriceSchema = z
  .strictObject({
    /** Backend the price applies to (e.g. `hf-inference-providers`, `hf-tei`); omit for any backend. */
    backend: z.string().min(1).optional(),
    /** Model id without a `:provider` suffix, or `*` for every model of `backend`. */
    modelId: z.string().min(1),
    /** Serving provider (e.g. `together`, `hf-inference`); omit when the price holds whoever serves the model. */
    provider: z.string().min(1).optional(),
    /** USD per million input (prompt) tokens. @default 0 */
    inputPerMillion: z.number().nonnegative().finite().optional(),
    /** USD per million output (generated) tokens. @default 0 */
    outputPerMillion: z.number().nonnegative().finite().optional(),
    /**
     * USD per request sent to the backend: a chat call is one request; an embedding or reranking
     * call is one per `maxBatchSize` texts, as the adapters batch them (e.g. hf-inference
     * embeddings and reranking, billed by compute time: your average per request). @default 0
     */
    perRequest: z.number().nonnegative().finite().optional(),
    /**
     * USD per hour of uptime of a dedicated endpoint (an Inference Endpoint, a TEI or TGI server
     * billed by the hour) that scales to zero when idle: a call wakes it, and it stays up until
     * `scaleToZeroMinutes` after the last call. Each call is charged the uptime it adds. @default 0
     */
    perHour: z.number().nonnegative().finite().optional(),
    /** With `perHour`: minutes an endpoint stays up after its last call. @default {@link DEFAULT_SCALE_TO_ZERO_MINUTES} */
    scaleToZeroMinutes: z.number().positive().finite().optional(),
    /** Where the number comes from (a URL, "our contract", …). */
    source: z.string().optional(),
  })
  .refine(
    (p) => p.inputPerMillion !== undefined || p.outputPerMillion !== undefined || p.perRequest !== undefined || p.perHour !== undefined,
    'give at least one of inputPerMillion, outputPerMillion, perRequest, perHour',
  )
  .refine((p) => p.scaleToZeroMinutes === undefined || p.perHour !== undefined, { message: 'scaleToZeroMinutes needs perHour', path: ['scaleToZeroMinutes'] });

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
  /** Requests sent to the backend, priced by `perRequest`. @default 1 */
  requests?: number;
  /** Hours of endpoint uptime the call is charged, priced by `perHour` (see {@link EndpointUptime}). @default 0 */
  uptimeHours?: number;
}

/**
 * The cost of a call, or why it has none. `estimated`: the model has prices, but not for the
 * provider that served it (or the provider is not known and the prices differ), so the highest
 * price listed for the model is charged, and budgets count it.
 */
export type PriceQuote =
  | { state: 'priced'; costUsd: number; price: ModelPrice }
  | { state: 'estimated'; costUsd: number; price: ModelPrice; reason: string }
  | { state: 'local'; costUsd: 0 }
  | { state: 'unknown'; costUsd: null; reason: string };

/** Prices calls: user overrides first, then the table; local backends are $0. */
export interface PriceBook {
  /** Date and source of the table in use (`null` without one). */
  readonly table: { asOf: string; source: string } | null;
  /** The cost of a finished call. */
  quote(call: PricedCall): PriceQuote;
  /**
   * A cost to reserve before a call: like {@link quote}, but when the provider is not known yet it
   * takes the highest price among the providers listed. `null` when no price is known.
   */
  estimate(call: PricedCall): number | null;
  /**
   * The hourly price of the call's endpoint: its `perHour` and how long it stays up after a call
   * (ms), or undefined when it is not priced by the hour.
   */
  hourly(call: Pick<PricedCall, 'backend' | 'modelId' | 'provider'>): { perHour: number; scaleToZeroMs: number } | undefined;
  /** True for a local backend. */
  isLocal(backend: string): boolean;
}

interface NormalizedPrice {
  backend: string | undefined;
  modelId: string;
  provider: string | undefined;
  input: number;
  output: number;
  perRequest: number;
  perHour: number;
  scaleToZeroMs: number;
  original: ModelPrice;
}

function normalize(price: z.output<typeof modelPriceSchema>): NormalizedPrice {
  return {
    backend: price.backend,
    modelId: price.modelId,
    provider: price.provider,
    input: price.inputPerMillion ?? 0,
    output: price.outputPerMillion ?? 0,
    perRequest: price.perRequest ?? 0,
    perHour: price.perHour ?? 0,
    scaleToZeroMs: (price.scaleToZeroMinutes ?? DEFAULT_SCALE_TO_ZERO_MINUTES) * 60_000,
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

const costOf = (p: NormalizedPrice, call: PricedCall): number =>
  (call.inputTokens * p.input + call.outputTokens * p.output) / 1_000_000 + (call.requests ?? 1) * p.perRequest + (call.uptimeHours ?? 0) * p.perHour;

/**
 * Creates a {@link PriceBook}. Unknown prices stay unknown (the monitor reports them); nothing is
 * silently priced at $0 except the local backends.
 */
export function createPriceBook(options: PriceBookOptions = {}): PriceBook {
  const parsed = parseOptions(priceBookOptionsSchema, options, 'createPriceBook');
  const table = parsed.table === false ? undefined : (parsed.table ?? HF_INFERENCE_PROVIDERS_PRICES);
  // Overrides replace table rows with the same backend, model and provider, and add new ones; an
  // override that names no provider prices the model whoever serves it, so it replaces the table's
  // rows of every provider of that model.
  const keyOf = (p: NormalizedPrice): string => `${p.backend ?? '*'}\u0000${p.modelId}\u0000${p.provider ?? '*'}`;
  const merged = new Map<string, NormalizedPrice>();
  if (table) for (const p of parseOptions(priceTableSchema, table, 'price table').prices.map(normalize)) merged.set(keyOf(p), p);
  const overrides = (parsed.overrides ?? []).map(normalize);
  for (const o of overrides) {
    if (o.provider !== undefined) continue;
    for (const [key, p] of merged) if (p.modelId === o.modelId && (o.backend === undefined || p.backend === o.backend)) merged.delete(key);
  }
  for (const p of overrides) merged.set(keyOf(p), p);
  const all = [...merged.values()];
  // Most books price nothing by the hour: every call can skip the endpoint-uptime lookup.
  const anyHourly = all.some((p) => p.perHour > 0);
  const local = new Set(parsed.localBackends ?? DEFAULT_LOCAL_BACKENDS);

  /**
   * The prices that apply to a call: its model id's (else the backend's `*` row), narrowed to the
   * serving provider. `exact` when one row prices it; otherwise the rows among which the call's
   * price lies (the provider is not known, or has no row of its own), so the highest is charged.
   */
  const resolve = (call: Pick<PricedCall, 'backend' | 'modelId' | 'provider'>): { rows: NormalizedPrice[]; exact: boolean; provider: string | undefined } | undefined => {
    const split = splitProviderSuffix(call.modelId);
    const provider = call.provider ?? split.provider;
    const ids = split.model === call.modelId ? [call.modelId] : [call.modelId, split.model];
    const forBackend = all.filter((p) => p.backend === undefined || p.backend === call.backend);
    // A backend-specific row beats one for any backend.
    const best = (rows: NormalizedPrice[]): NormalizedPrice[] => rows.sort((a, b) => Number(b.backend !== undefined) - Number(a.backend !== undefined)).slice(0, 1);
    let otherProviders: NormalizedPrice[] | undefined;
    for (const id of [...ids, '*']) {
      const matching = forBackend.filter((p) => p.modelId === id);
      if (matching.length === 0) continue;
      const general = matching.filter((p) => p.provider === undefined);
      if (provider === undefined) return general.length ? { rows: best(general), exact: true, provider } : { rows: matching, exact: false, provider };
      const exact = matching.filter((p) => p.provider === provider);
      const chosen = exact.length ? exact : general;
      if (chosen.length) return { rows: best(chosen), exact: true, provider };
      // Priced for other providers only: a wildcard row may still price this one exactly.
      otherProviders ??= matching;
    }
    return otherProviders && { rows: otherProviders, exact: false, provider };
  };

  const highest = (rows: NormalizedPrice[], call: PricedCall): { row: NormalizedPrice; cost: number; distinct: boolean } => {
    const costs = rows.map((row) => ({ row, cost: costOf(row, call) }));
    const top = costs.reduce((a, b) => (b.cost > a.cost ? b : a));
    return { ...top, distinct: new Set(costs.map((c) => c.cost)).size > 1 };
  };

  return {
    table: table ? { asOf: table.asOf, source: table.source } : null,
    isLocal: (backend) => local.has(backend),
    quote(call) {
      if (local.has(call.backend)) return { state: 'local', costUsd: 0 };
      const found = resolve(call);
      if (!found) return { state: 'unknown', costUsd: null, reason: `no price is known for ${call.backend} model "${call.modelId}"` };
      const { row, cost, distinct } = highest(found.rows, call);
      if (found.exact || !distinct) return { state: 'priced', costUsd: cost, price: row.original };
      const reason =
        found.provider === undefined
          ? `the price of ${call.backend} model "${call.modelId}" differs by provider and the serving provider is not known`
          : `${call.backend} model "${call.modelId}" has no price for provider "${found.provider}"`;
      return { state: 'estimated', costUsd: cost, price: row.original, reason: `${reason}: charged at the highest price listed for it` };
    },
    estimate(call) {
      if (local.has(call.backend)) return 0;
      const found = resolve(call);
      return found ? highest(found.rows, call).cost : null;
    },
    hourly(call) {
      if (!anyHourly || local.has(call.backend)) return undefined;
      const hourlyRows = (resolve(call)?.rows ?? []).filter((row) => row.perHour > 0);
      if (hourlyRows.length === 0) return undefined;
      const top = hourlyRows.reduce((a, b) => (b.perHour > a.perHour ? b : a));
      return { perHour: top.perHour, scaleToZeroMs: top.scaleToZeroMs };
    },
  };
}
