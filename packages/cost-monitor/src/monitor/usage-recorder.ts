import type { UsageEvent } from '@ragbridge/core-interfaces';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { CallStatus, LedgerEntry, QueryRecord, UsageLedger } from '../ledger/usage-ledger.js';
import type { CallPrice } from './call-pricer.js';

/** Whose calls run now: the tracked query and the caller (see {@link UsageRecorder.asCaller}). */
export interface CallScope {
  queryId: string | undefined;
  caller: string | undefined;
}

/** Who hears about recorded rows besides the ledger (metrics, alert rules, budgets). */
export interface RecorderSinks {
  /**
   * A row was recorded; `note` says why its price is unknown or estimated; `written` resolves when
   * an asynchronous ledger has written it (undefined: the ledger wrote it before returning).
   */
  entry?: (entry: LedgerEntry, note: string | undefined, written: Promise<void> | undefined) => void;
  query?: (record: QueryRecord) => void;
  /** Writing to the ledger failed (the call itself went through). */
  ledgerError?: (error: unknown, what: 'usage' | 'query') => void;
}

/** A recorded row, and when it is written (see {@link RecorderSinks.entry}). */
export interface Recorded {
  entry: LedgerEntry;
  /** Resolves when an asynchronous ledger has written the row, or failed to (never rejects). */
  written: Promise<void> | undefined;
}

/** How one row is recorded. */
export interface RecordDetails {
  status: CallStatus;
  /** Monitor clock time the call began. */
  at: number;
  errorName?: string;
  /** The scope the call ran in. @default the current one */
  scope?: CallScope;
}

/**
 * Records usage: turns a priced call into a ledger row (with its query and caller), writes it,
 * and tells the sinks. It also keeps the query and caller scopes (AsyncLocalStorage), so calls
 * made inside `trackQuery` or `asCaller` carry them, and tracks async ledger writes for `flush`.
 */
export class UsageRecorder {
  private readonly scopes = new AsyncLocalStorage<CallScope>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sinks: RecorderSinks[] = [];

  constructor(
    readonly ledger: UsageLedger,
    private readonly clock: Clock,
  ) {}

  /** Adds a listener of recorded rows and queries. */
  listen(sinks: RecorderSinks): void {
    this.sinks.push(sinks);
  }

  /** The query and caller of the code running now. */
  scope(): CallScope {
    return this.scopes.getStore() ?? { queryId: undefined, caller: undefined };
  }

  /** Builds the ledger row of a call and records it; returns the row and when it is written. */
  record(usage: UsageEvent, price: CallPrice, details: RecordDetails): Recorded {
    const scope = details.scope ?? this.scope();
    const entry: LedgerEntry = {
      ...usage,
      costUsd: price.costUsd,
      at: details.at,
      status: details.status,
      priceState: price.state,
      ...(details.errorName !== undefined && { errorName: details.errorName }),
      ...(scope.queryId !== undefined && { queryId: scope.queryId }),
      ...(scope.caller !== undefined && { caller: scope.caller }),
    };
    let written: Promise<void> | undefined;
    try {
      const result = this.ledger.append([entry]);
      if (result instanceof Promise) {
        written = result.catch((error: unknown) => this.ledgerFailed(error, 'usage'));
        this.track(written);
      }
    } catch (error) {
      this.ledgerFailed(error, 'usage');
    }
    for (const sink of this.sinks) sink.entry?.(entry, price.note, written);
    return { entry, written };
  }

  /** Runs `fn` with its calls attributed to `caller` (their rows carry it; budgets for that caller count them). */
  asCaller<T>(caller: string, fn: () => Promise<T>): Promise<T> {
    return this.scopes.run({ ...this.scope(), caller }, fn);
  }

  /**
   * Runs `fn` as one tracked query: calls made inside it carry its id, and its latency (on the
   * monitor's clock) and outcome are recorded.
   */
  async trackQuery<T>(fn: () => Promise<T>, options: { id?: string } = {}): Promise<T> {
    const id = options.id ?? randomUUID();
    const at = this.clock.now();
    const finish = (status: 'ok' | 'error'): void => {
      // Queries take seconds: the monitor's clock (ms) is precise enough, and tests can move it.
      const record: QueryRecord = { id, at, latencyMs: this.clock.now() - at, status };
      try {
        const result = this.ledger.appendQueries([record]);
        if (result instanceof Promise) this.track(result.catch(() => undefined));
      } catch (error) {
        this.ledgerFailed(error, 'query');
      }
      for (const sink of this.sinks) sink.query?.(record);
    };
    try {
      const value = await this.scopes.run({ ...this.scope(), queryId: id }, fn);
      finish('ok');
      return value;
    } catch (error) {
      finish('error');
      throw error;
    }
  }

  /** Keeps `promise` for {@link flush} (an async ledger write, a webhook delivery). */
  track(promise: Promise<unknown>): void {
    const p = promise.finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for pending ledger writes and tracked deliveries. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private ledgerFailed(error: unknown, what: 'usage' | 'query'): void {
    for (const sink of this.sinks) sink.ledgerError?.(error, what);
  }
}
