import type { UsageEvent } from '@ragbridge/core-interfaces';
import type { PriceState } from '../ledger/usage-ledger.js';
import { EndpointUptime, endpointKey } from '../prices/endpoint-uptime.js';
import type { PriceBook, PriceQuote } from '../prices/price-book.js';

/** What a call cost and how that was decided. */
export interface CallPrice {
  costUsd: number | null;
  state: PriceState;
  /** Why the price is unknown or estimated (for the alert that says so once per model). */
  note?: string;
}

/** A call about to be made, as a budget estimates it. */
export interface PlannedCall {
  backend: string;
  modelId: string;
  inputTokens: number;
  outputTokens: number;
  /** Requests it will send. */
  requests: number;
}

/**
 * Prices calls with the price book, adding the endpoint hours of backends priced by the hour
 * (see {@link EndpointUptime}): quoting a finished call charges the uptime it added; estimating
 * a planned one only looks.
 */
export class CallPricer {
  readonly uptime = new EndpointUptime();

  constructor(readonly prices: PriceBook) {}

  /**
   * The price of a recorded call. `requests` is what `perRequest` multiplies (0 for a call that
   * failed: nothing was served); every call that reached the backend, failed or not, adds uptime.
   */
  quote(usage: UsageEvent, options: { local: boolean; requests: number; at: number }): CallPrice {
    if (usage.cacheHit) return { costUsd: 0, state: 'cached' };
    if (options.local) return { costUsd: 0, state: 'local' };
    const hourly = this.prices.hourly(usage);
    const uptimeHours = hourly ? this.uptime.charge(endpointKey(usage), options.at, hourly.scaleToZeroMs) : 0;
    const quote: PriceQuote = this.prices.quote({
      backend: usage.backend,
      modelId: usage.modelId,
      ...(usage.provider !== undefined && { provider: usage.provider }),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      requests: options.requests,
      uptimeHours,
    });
    return { costUsd: quote.costUsd, state: quote.state, ...((quote.state === 'unknown' || quote.state === 'estimated') && { note: quote.reason }) };
  }

  /** The cost to reserve for a planned call now (the highest price when the provider is not known yet); `null` when unknown. */
  estimate(call: PlannedCall, at: number): number | null {
    const hourly = this.prices.hourly(call);
    const uptimeHours = hourly ? this.uptime.peek(endpointKey(call), at, hourly.scaleToZeroMs) : 0;
    return this.prices.estimate({ ...call, uptimeHours });
  }
}
