/**
 * The uptime of dedicated endpoints billed by the hour that scale to zero when idle (Inference
 * Endpoints, a TEI or TGI server on rented hardware). A call wakes an endpoint, which then stays up
 * until `scaleToZeroMs` after its last call; each call is charged the uptime it adds: a full idle
 * window when the endpoint was down, the time since the previous call when it was up. Summed over
 * the calls, that is the endpoint's uptime, so budgets and the ledger see endpoint hours as they
 * accrue.
 *
 * An endpoint that is always on costs its hours whatever the calls do: no budget can save them, so
 * it is not priced by the hour (price it per request to spread its cost over the calls, or at $0).
 */
export class EndpointUptime {
  /** Each endpoint's last call (monitor clock, epoch ms). */
  private readonly lastCall = new Map<string, number>();

  /** Hours of uptime a call at `at` adds to `endpoint`, without recording it (for a budget's estimate). */
  peek(endpoint: string, at: number, scaleToZeroMs: number): number {
    const last = this.lastCall.get(endpoint);
    const addedMs = last === undefined || at - last >= scaleToZeroMs ? scaleToZeroMs : Math.max(0, at - last);
    return addedMs / 3_600_000;
  }

  /** Records a call at `at` and returns the hours of uptime it adds. */
  charge(endpoint: string, at: number, scaleToZeroMs: number): number {
    const hours = this.peek(endpoint, at, scaleToZeroMs);
    this.seen(endpoint, at);
    return hours;
  }

  /** Records a call whose uptime was already charged (found in the ledger after a restart). */
  seen(endpoint: string, at: number): void {
    const last = this.lastCall.get(endpoint);
    if (last === undefined || at > last) this.lastCall.set(endpoint, at);
  }
}

/** The key of an endpoint: backend, model (without a provider suffix) and provider. */
export function endpointKey(call: { backend: string; modelId: string; provider?: string | undefined }): string {
  return `${call.backend}\u0000${call.modelId}\u0000${call.provider ?? ''}`;
}
