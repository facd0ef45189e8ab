import { performance } from 'node:perf_hooks';
import type { AnswerStepConfig, RagbridgeConfig, ResolvedConfig } from '@ragbridge/config-profiles';
import {
  createRuntime,
  TERMINAL_BACKENDS,
  type RuntimeLogger,
  type RuntimeModels,
  type RuntimeOptions,
  type RuntimePart,
} from '@ragbridge/runtime';

/** A model step of a chain (everything but the `extractive` answer step). */
export type ModelStepConfig =
  | Exclude<AnswerStepConfig, { backend: 'extractive' }>
  | RagbridgeConfig['models']['embedder']['chain'][number]
  | RagbridgeConfig['models']['reranker']['chain'][number];

/** Where a model step sits: its part and its place in that part's chain. */
export interface StepPlace {
  part: RuntimePart;
  index: number;
  step: ModelStepConfig;
}

/** How one call through a step went. */
export type ProbeOutcome =
  | { status: 'ok'; ms: number }
  /** The step cannot run here as configured (adapter package not installed, model not on disk with downloads off). */
  | { status: 'unavailable'; reason: string }
  | { status: 'failed'; error: unknown };

/** What every probe needs. */
export interface ProbeContext {
  resolved: ResolvedConfig;
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch | undefined;
  /** Folder relative model paths resolve against. */
  baseDir: string;
  /** How adapter packages are imported (tests make one missing). @default the runtime's `import()` */
  importAdapter?: RuntimeOptions['importAdapter'];
}

/** Longest a probe call may take: a hosted model answers in seconds, a local one may first load. */
const PROBE_TIMEOUT_MS = { remote: 15_000, local: 60_000 } as const;

/** The model steps of each part, in chain order; none for the embedder when retrieval is keyword-only. */
export function modelSteps(config: RagbridgeConfig): StepPlace[] {
  const places: StepPlace[] = [];
  config.models.answer.chain.forEach((step, index) => {
    if (step.backend !== 'extractive') places.push({ part: 'answer', index, step });
  });
  if (config.retrieval.mode !== 'keyword')
    config.models.embedder.chain.forEach((step, index) => places.push({ part: 'embedder', index, step }));
  config.models.reranker.chain.forEach((step, index) => places.push({ part: 'reranker', index, step }));
  return places;
}

/** The step's own timeout, capped so that a probe is short; no retry. */
function probeStepConfig(step: ModelStepConfig, config: RagbridgeConfig): ModelStepConfig {
  const cap = step.local ? PROBE_TIMEOUT_MS.local : PROBE_TIMEOUT_MS.remote;
  return { ...step, retry: false, timeoutMs: Math.min(step.timeoutMs ?? config.resilience.timeoutMs ?? cap, cap) };
}

/**
 * A configuration whose only model step is the one probed: the other parts keep only their last
 * step, caches are off (a cached answer proves nothing), and there are no budgets, alerts or
 * webhook (a probe must not page anyone or be refused by a spent budget).
 */
function probeConfig(config: RagbridgeConfig, place: StepPlace): RagbridgeConfig {
  const extractive = config.models.answer.chain.filter((s) => s.backend === 'extractive');
  const step = probeStepConfig(place.step, config);
  return {
    ...config,
    models: {
      answer: { chain: place.part === 'answer' ? [step as AnswerStepConfig, ...extractive] : extractive },
      embedder: {
        chain: place.part === 'embedder' ? [step as RagbridgeConfig['models']['embedder']['chain'][number]] : [],
      },
      reranker: {
        chain: place.part === 'reranker' ? [step as RagbridgeConfig['models']['reranker']['chain'][number]] : [],
      },
    },
    caches: {
      embeddings: { ...config.caches.embeddings, enabled: false, path: undefined },
      answers: { ...config.caches.answers, enabled: false, path: undefined },
    },
    budgets: { ...config.budgets, limits: [] },
    alerts: {},
  };
}

/** One small real call through each part: a one-token chat, one short text embedded, one pair scored. */
const PROBE_CALLS: Record<RuntimePart, (models: RuntimeModels, abortSignal: AbortSignal) => Promise<boolean>> = {
  async answer(models, abortSignal) {
    await models.chatModel?.generate({
      messages: [{ role: 'user', content: 'Reply with OK.' }],
      maxTokens: 1,
      abortSignal,
    });
    return models.chatModel !== undefined;
  },
  async embedder(models, abortSignal) {
    await models.embedder?.embed({ texts: ['ragbridge doctor'], inputType: 'query', abortSignal });
    return models.embedder !== undefined;
  },
  async reranker(models, abortSignal) {
    const result = await models.reranker?.rerank({
      query: 'What does ragbridge doctor check?',
      texts: ['ragbridge doctor calls each model step once.'],
      abortSignal,
    });
    // The chain ends in fused-order, which always answers: only the model step's answer counts.
    return result !== undefined && result.usage.backend !== TERMINAL_BACKENDS.reranker;
  },
};

const SILENT: RuntimeLogger = { warn: () => undefined, info: () => undefined };

/**
 * Calls one model step once, through a runtime composed like the commands' (the same adapters,
 * tokens, hosts and availability checks) but holding that step alone, with a short timeout.
 */
export async function probeStep(ctx: ProbeContext, place: StepPlace): Promise<ProbeOutcome> {
  const failures: unknown[] = [];
  const runtime = await createRuntime({
    config: { ...ctx.resolved, config: probeConfig(ctx.resolved.config, place) },
    env: ctx.env,
    ...(ctx.fetch && { fetch: ctx.fetch }),
    ...(ctx.importAdapter && { importAdapter: ctx.importAdapter }),
    baseDir: ctx.baseDir,
    storePath: ':memory:',
    ledgerPath: ':memory:',
    logger: SILENT,
    onResilienceEvent: (event) => {
      if (event.type === 'step-failed') failures.push(event.error);
    },
  });
  try {
    const began = performance.now();
    let served = false;
    let thrown: unknown;
    try {
      served = await PROBE_CALLS[place.part](runtime.models, AbortSignal.timeout(PROBE_TIMEOUT_MS.local + 5_000));
    } catch (error) {
      thrown = error;
    }
    const ms = performance.now() - began;
    const unavailable = runtime.parts().find((p) => p.part === place.part)?.steps[0]?.unavailable;
    if (unavailable !== undefined) return { status: 'unavailable', reason: unavailable };
    if (served && thrown === undefined) return { status: 'ok', ms };
    return { status: 'failed', error: failures[0] ?? thrown ?? new Error('the step did not answer') };
  } finally {
    await runtime.close();
  }
}
