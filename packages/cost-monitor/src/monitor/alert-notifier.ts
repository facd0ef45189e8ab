import type { AlertOptions, CostAlert } from './alerts.js';

/** Where alert messages are logged: `budget-restored` as info, every other alert as a warning. */
export interface AlertLog {
  warn(message: string): void;
  info(message: string): void;
}

/** Options of {@link AlertNotifier}. */
export interface AlertNotifierOptions {
  webhook?: NonNullable<AlertOptions['webhook']> | undefined;
  log?: AlertLog | undefined;
  /** Keeps a delivery for `flush()`. */
  track: (delivery: Promise<unknown>) => void;
  /** A webhook delivery failed (for the metrics). */
  onWebhookFailure?: () => void;
}

/**
 * Delivers alerts: to the subscribed listeners, the log, and a webhook (POSTed as JSON). Nothing
 * it does can break a model call: a failing listener or webhook is skipped (webhook failures are
 * counted), and deliveries are not awaited in the call path.
 */
export class AlertNotifier {
  private readonly listeners = new Set<(alert: CostAlert) => void>();
  private readonly observers: Array<(alert: CostAlert) => void> = [];

  constructor(private readonly options: AlertNotifierOptions) {}

  /** Subscribes to alerts; returns the unsubscribe function. */
  subscribe(listener: (alert: CostAlert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds an observer told of every alert before delivery (the metrics count them). */
  observe(observer: (alert: CostAlert) => void): void {
    this.observers.push(observer);
  }

  /** Delivers one alert everywhere. */
  notify(alert: CostAlert): void {
    for (const observer of this.observers) observer(alert);
    const { log, webhook } = this.options;
    if (log) (alert.kind === 'budget-restored' ? log.info : log.warn).call(log, alert.message);
    for (const listener of this.listeners) {
      try {
        listener(alert);
      } catch {
        // A failing listener must not break model calls or other listeners.
      }
    }
    if (webhook) this.options.track(this.post(webhook, alert).catch(() => this.options.onWebhookFailure?.()));
  }

  private async post(webhook: NonNullable<AlertOptions['webhook']>, alert: CostAlert): Promise<void> {
    const response = await (webhook.fetch ?? globalThis.fetch)(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...webhook.headers },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(webhook.timeoutMs ?? 5000),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
  }
}
