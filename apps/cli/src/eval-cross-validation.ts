import {
  assignFolds,
  fitRefusalPolicy,
  fitSignalWeights,
  type Pipeline,
  type RefusalCalibrationSample,
  type RefusalPolicy,
  type Retriever,
  type SignalWeights,
  type WeightCalibrationSample,
} from '@ragbridge/pipeline';
import type { PipelineOverrides } from './commands.js';
import { formatCrossValidation } from './eval-report.js';
import { summarize, type EvalItem, type EvalSummary, type QuestionOutcome } from './metrics.js';

/** What one fold fitted and how its held-out questions scored. */
export interface FoldResult {
  fold: number;
  questions: number;
  weights: SignalWeights;
  refusal: RefusalPolicy;
  summary: EvalSummary;
}

/** Figures whose spread over folds is reported. */
export const FOLD_FIGURES = {
  'hit@1': (s: EvalSummary) => s.inScope.hitAt1,
  'hit@5': (s: EvalSummary) => s.inScope.hitAt5,
  'MRR@10': (s: EvalSummary) => s.inScope.mrrAt10,
  'out-of-scope refused': (s: EvalSummary) => s.refusals.outOfScopeRefusedShare,
  'in-scope refused': (s: EvalSummary) => s.refusals.inScopeRefusedShare,
  'citation support': (s: EvalSummary) => s.citationSupport.share,
} as const;

/** The result of {@link crossValidate}. */
export interface CrossValidation {
  folds: number;
  /** Every held-out answer together: the cross-validated figures. */
  pooled: EvalSummary;
  /** Mean and standard deviation over folds of each figure. */
  spread: Record<keyof typeof FOLD_FIGURES, { mean: number; sd: number }>;
  perFold: FoldResult[];
  /** Weights and policy fitted on every question: what to use as defaults when the cross-validated figures hold up. */
  fitOnAll: { weights: SignalWeights; refusal: RefusalPolicy };
}

/** Inputs of {@link crossValidate}. */
export interface CrossValidationInput {
  /** Labelled questions (with `evidence`; an empty list marks an out-of-scope question). */
  items: readonly EvalItem[];
  folds: number;
  /** A retriever over the evaluation store with the profile's keyword settings (for keyword features). */
  features: Retriever;
  /** How evidence names each document, by id (paths relative to the corpus). */
  names: ReadonlyMap<string, string>;
  /** Opens the profile's pipeline on the evaluation store with calibrated settings. */
  open: (overrides: PipelineOverrides) => Promise<Pipeline>;
  /** Asks questions and measures the answers. */
  evaluate: (pipeline: Pipeline, items: readonly EvalItem[]) => Promise<{ outcomes: QuestionOutcome[] }>;
  log: NodeJS.WritableStream;
}

/**
 * K-fold cross-validation of every calibrated value: on each fold's K−1 training folds the signal
 * weights are fitted (on the keyword features of the answerable questions), then the refusal
 * policy (on the retrieval evidence of all training questions under those weights); the held-out
 * fold is then asked through the real pipeline with both. Folds are stratified by category.
 */
export async function crossValidate(input: CrossValidationInput): Promise<CrossValidation> {
  const { items, log } = input;
  const answerable = (item: EvalItem): boolean => (item.evidence?.length ?? 0) > 0;
  const samples = new Map<string, WeightCalibrationSample>();
  for (const item of items.filter(answerable)) {
    const evidence = item.evidence ?? [];
    samples.set(item.id, {
      features: await input.features.keywordFeatures(item.question),
      relevant: (c) => evidence.some((e) => e.doc === input.names.get(c.docId) && (e.pages?.includes(c.page) ?? false)),
    });
  }
  const fold = assignFolds(
    items.map((i) => ({ id: i.id, group: answerable(i) ? (i.category ?? 'all') : 'out-of-scope' })),
    input.folds,
  );

  /** Fits weights, then the refusal policy under them, on a set of questions. */
  const fit = async (train: readonly EvalItem[]): Promise<{ weights: SignalWeights; refusal: RefusalPolicy }> => {
    const { weights } = fitSignalWeights(train.flatMap((i) => samples.get(i.id) ?? []));
    const pipeline = await input.open({ signals: weights });
    try {
      const refusalSamples: RefusalCalibrationSample[] = [];
      for (const item of train) {
        const retrieval = await pipeline.retrieve(item.question, { k: 30 });
        refusalSamples.push({ evidence: retrieval.evidence, hitCount: retrieval.hits.length, answerable: answerable(item) });
      }
      return { weights, refusal: fitRefusalPolicy(refusalSamples).policy };
    } finally {
      await pipeline.close();
    }
  };

  const perFold: FoldResult[] = [];
  const heldOut: QuestionOutcome[] = [];
  for (let f = 0; f < input.folds; f++) {
    const train = items.filter((_, i) => fold[i] !== f);
    const test = items.filter((_, i) => fold[i] === f);
    const fitted = await fit(train);
    const pipeline = await input.open({ signals: fitted.weights, refusal: fitted.refusal });
    try {
      const { outcomes } = await input.evaluate(pipeline, test);
      heldOut.push(...outcomes);
      perFold.push({ fold: f + 1, questions: test.length, ...fitted, summary: summarize(outcomes) });
      log.write(`  fold ${f + 1}/${input.folds}: ${test.length} held-out questions scored\n`);
    } finally {
      await pipeline.close();
    }
  }
  const spread = Object.fromEntries(
    Object.entries(FOLD_FIGURES).map(([name, figure]) => {
      const values = perFold.map((r) => figure(r.summary));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
      return [name, { mean, sd }];
    }),
  ) as CrossValidation['spread'];
  const result: CrossValidation = { folds: input.folds, pooled: summarize(heldOut), spread, perFold, fitOnAll: await fit(items) };
  log.write(formatCrossValidation(result));
  return result;
}
