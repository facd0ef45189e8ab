import { ADAPTER_BACKENDS, explain, validateStepOptions, type RagbridgeConfig } from '@ragbridge/config-profiles';
import { createCostMonitor, type AlertLog, type CostMonitor, type CostMonitorOptions, type PriceBookOptions } from '@ragbridge/cost-monitor';
import { createResilienceRegistry } from '@ragbridge/resilience';
import { defined } from './internal/defined.js';
import { loadAdapterModules, stepOptionsSchemas } from './internal/adapter-modules.js';
import { withSpanEvents } from './internal/model-tracing.js';
import { buildAnswerPart, buildEmbedderPart, buildRerankerPart, partUnavailable, type ChainContext, type StepRecord } from './internal/model-chains.js';
import { normalizeConfig, withAbsoluteModelPaths } from './internal/runtime-config.js';
import { openRuntimeStorage, type RuntimeStorage } from './internal/runtime-storage.js';
import { consoleLogger, redactingLogger, warmUpLog } from './internal/runtime-log.js';
import { priceBookOptions } from './internal/runtime-prices.js';
import { createRuntimePipeline, observeRerankerChain } from './internal/runtime-pipeline.js';
import { retrieverOptionsFromConfig } from './retriever-options.js';
import type { Runtime, RuntimeModels, RuntimeOptions, RuntimePart, RuntimePartStatus } from './runtime-types.js';

/** Configuration backend names → the adapters' names, for per-backend limits and budgets. */
function adapterBackendRecord<V>(record: Partial<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) out[ADAPTER_BACKENDS[name as keyof typeof ADAPTER_BACKENDS] ?? name] = value;
  }
  return out;
}

const adapterBackend = (name: string | undefined): string | undefined =>
  name === undefined ? undefined : (ADAPTER_BACKENDS[name as keyof typeof ADAPTER_BACKENDS] ?? name);

/** The cost monitor's options from `budgets`, `alerts` and `prices` (backend names mapped to the adapters'); alerts go to `log`. */
function monitorOptions(config: RagbridgeConfig, storage: RuntimeStorage, prices: PriceBookOptions | undefined, log: AlertLog, fetchFn: typeof fetch | undefined): CostMonitorOptions {
  const { budgets, alerts } = config;
  const webhook = alerts.webhook;
  return {
    ledger: storage.ledger,
    ...(storage.reservations && { reservations: storage.reservations }),
    ...(storage.alertState && { alertState: storage.alertState }),
    ...(prices && { prices }),
    ...defined({ unknownPrice: budgets.unknownPrice }),
    budgets: budgets.limits.map((limit) => {
      const backend = adapterBackend(limit.backend);
      return {
        window: limit.window,
        mode: limit.mode,
        ...defined({ limitUsd: limit.limitUsd, limitTokens: limit.limitTokens, id: limit.id, caller: limit.caller }),
        ...(backend && { backend }),
      };
    }),
    alerts: {
      // Budgets running out or resetting, spend thresholds, error rate and latency alerts.
      log,
      ...(alerts.cost && {
        cost: alerts.cost.map((c) => {
          const backend = adapterBackend(c.backend);
          return { window: c.window, thresholdUsd: c.thresholdUsd, ...(backend && { backend }) };
        }),
      }),
      ...(alerts.errorRate !== undefined && { errorRate: alerts.errorRate }),
      ...(alerts.latency !== undefined && { latency: alerts.latency }),
      ...(webhook && {
        webhook: {
          url: webhook.url,
          ...(webhook.headers && { headers: webhook.headers }),
          ...(webhook.timeoutMs !== undefined && { timeoutMs: webhook.timeoutMs }),
          ...(fetchFn && { fetch: fetchFn }),
        },
      }),
    },
  };
}

/**
 * Composes ragbridge from a resolved configuration: an adapter per chain step (Hugging Face,
 * TEI, Ollama, Transformers.js), each recorded by the cost monitor and guarded by resilience
 * (retry honouring Retry-After, timeouts, circuit breakers, per-backend concurrency limits,
 * budget downgrades), fallback chains in configuration order that end in a step that always
 * works (extractive answers, keyword-only retrieval, fused order), the embedding and answer
 * caches, and the pipeline over the configured store.
 *
 * Nothing is called at creation: tokens are read at each call, Transformers.js models load at
 * their first use, and no network request is made.
 *
 * @example
 * const runtime = await createRuntime({ config: await resolveConfig() });
 * await runtime.pipeline.ingest(['./docs']);
 * const { answer } = await runtime.pipeline.ask('How long are log files kept?');
 * await runtime.close();
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { profile, config: given, resolved } = normalizeConfig(options.config);
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  // Registers every secret of the configuration and the environment with the redactor before
  // any call can fail or log (explain's rules decide what is secret).
  explain(resolved, { env });
  // Only the adapter packages the configuration's steps name are imported (optional peers); each
  // step's options are checked against the schema its adapter declares, before anything opens.
  const { modules: adapters } = await loadAdapterModules(given, options.adapters, options.importAdapter);
  const config = validateStepOptions({ ...resolved, config: withAbsoluteModelPaths(given, baseDir) }, stepOptionsSchemas(adapters));
  const logger = redactingLogger(options.logger ?? consoleLogger);

  const registry = createResilienceRegistry({
    ...(config.resilience.breaker && { breaker: defined(config.resilience.breaker) }),
    concurrency: adapterBackendRecord(config.resilience.concurrency),
    // Breakers changing state are logged, and events of the span of the call that made them change.
    onEvent: withSpanEvents((event) => {
      if (event.type === 'circuit-state') {
        const message = `Circuit ${event.key}: ${event.from} → ${event.to}${event.to === 'open' ? ` (failure rate ${Math.round(event.failureRate * 100)}%); calls skip this step until a trial succeeds` : ''}`;
        if (event.to === 'open') logger.warn(message);
        else logger.info(message);
      }
      options.onResilienceEvent?.(event);
    }),
  });

  const prices = priceBookOptions(resolved, config, baseDir, options.prices);
  // SQLite files, or PostgreSQL (documents, ledger, budgets, alert state, embedding cache) on one pool.
  const storage = await openRuntimeStorage(config, {
    storePath: options.storePath,
    ledgerPath: options.ledgerPath,
    embeddingCachePath: options.embeddingCachePath,
    baseDir,
    importer: options.importStorage,
    deferVectorIndex: options.deferVectorIndex,
    warn: (message) => logger.warn(message),
  });
  let monitor: CostMonitor;
  try {
    monitor = await createCostMonitor(monitorOptions(config, storage, prices, logger, options.fetch));
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }

  const closers: Array<() => unknown> = [];
  const closeAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  };
  // Closers run in reverse: the storage (cost state, store, pool) last, after the monitor has flushed.
  closers.push(() => storage.close());
  closers.push(() => monitor.close());

  try {
    const ctx: ChainContext = {
      config,
      env,
      envGiven: options.env !== undefined,
      fetch: options.fetch,
      baseDir,
      offline: config.offline,
      registry,
      monitor,
      // Retries, skipped, failed and serving fallback steps: events of the active span, then the caller's listener.
      onEvent: withSpanEvents(options.onResilienceEvent),
      closers,
      adapters,
      ...(options.warmUpColdModels && { onWarmUp: warmUpLog(logger, monitor) }),
      warn: (message) => logger.warn(message),
      embeddingCachePath: options.embeddingCachePath,
      embeddingStore: storage.embeddingStore,
    };
    const answer = buildAnswerPart(ctx);
    const embedder = buildEmbedderPart(ctx);
    const reranker = buildRerankerPart(ctx);
    // One object per part, shared by the pipeline and `runtime.models`: the same caches, breakers,
    // limiters, budgets and degradation logs, whoever calls.
    const models: RuntimeModels = Object.freeze({
      ...(answer.model && { chatModel: answer.model }),
      ...(embedder.model && { embedder: embedder.model }),
      ...(reranker.model && { reranker: observeRerankerChain(reranker.model, logger, () => partUnavailable(reranker.steps)) }),
    });

    const { retrieval } = config;
    const pipeline = createRuntimePipeline({
      store: storage.store,
      ...(options.rebuildStoreOnSchemaChange && { rebuildOnSchemaChange: true }),
      embedder: models.embedder,
      keywordStep: embedder.terminalStep,
      reranker: models.reranker,
      chatModel: models.chatModel,
      extractiveStep: answer.terminalStep,
      extractiveSentences: answer.extractiveSentences,
      retrieval: retrieverOptionsFromConfig(retrieval),
      ...defined({ k: retrieval.k, sources: retrieval.sources, refusal: retrieval.refusal, chunker: retrieval.chunking && defined(retrieval.chunking) }),
      ...defined({ maxTokens: config.budgets.tokens?.maxOutput, maxContextTokens: config.budgets.tokens?.maxContext }),
      monitor,
      logger,
    });
    // Closed first (closers run in reverse): the store, then caches and workers, then the ledger.
    closers.push(() => pipeline.close());

    const parts: Record<RuntimePart, StepRecord[]> = { answer: answer.steps, embedder: embedder.steps, reranker: reranker.steps };
    let closed: Promise<void> | undefined;
    return {
      profile,
      config,
      pipeline,
      models,
      monitor,
      explain: () => explain(resolved, { env }),
      parts: (): RuntimePartStatus[] =>
        (Object.keys(parts) as RuntimePart[]).map((part) => ({
          part,
          steps: parts[part].map((step) => ({
            backend: step.backend,
            ...(step.model !== undefined && { model: step.model }),
            local: step.local,
            breaker: step.key ? registry.breaker(step.key).state : 'closed',
            ...(step.availability?.unavailable !== undefined && { unavailable: step.availability.unavailable }),
          })),
        })),
      resilience: () => registry.snapshot(),
      close: () => (closed ??= closeAll()),
    };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}
