// Signal ablation: what each retrieval signal adds, cross-validated, on a corpus and question set.
// For every signal: the cross-validated MRR@10 (by page) with that signal switched off and the
// others re-fitted on each training fold, and the MRR of the weights fitted on all questions with
// that signal zeroed. Rankings are the retriever's own (keyword features through `rankRows`).
//
//   npm run bench:ablation -- --corpus ../shared/corpus --qa ../shared/eval/dev-qa.json,../shared/eval/dev-qa-extra.json [--folds 5] [--repeats 3] [--without a,b]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  assignFolds,
  createPipeline,
  createRetriever,
  DEFAULT_SIGNAL_WEIGHTS,
  fitSignalWeights,
  meanReciprocalRank,
  NEUTRAL_SIGNAL_WEIGHTS,
  SIGNAL_NAMES,
  type SignalName,
  type SignalWeights,
  type WeightCalibrationSample,
} from '../src/index.js';

const { values } = parseArgs({ options: { corpus: { type: 'string' }, qa: { type: 'string' }, store: { type: 'string' }, folds: { type: 'string', default: '5' }, repeats: { type: 'string', default: '3' }, without: { type: 'string', default: '' } } });
if (!values.corpus || !values.qa) {
  console.error('usage: npm run bench:ablation -- --corpus DIR --qa FILE[,FILE…] [--store FILE] [--folds 5]');
  process.exit(1);
}
console.log(`ragbridge signal ablation\nreproduce: npm run bench:ablation -- ${process.argv.slice(2).join(' ')}\n`);

interface Question {
  id: string;
  question: string;
  category?: string;
  evidence?: Array<{ doc: string; pages?: number[] }>;
}
const questions = values.qa.split(',').flatMap((path) => JSON.parse(readFileSync(path.trim(), 'utf8')) as Question[]);
const answerable = questions.filter((q) => (q.evidence?.length ?? 0) > 0);

const pipeline = createPipeline({ store: values.store ?? join(mkdtempSync(join(tmpdir(), 'rb-ablation-')), 'store.db') });
const report = await pipeline.ingest([values.corpus]);
console.log(`corpus: ${report.added.length + report.updated.length + report.unchanged.length} documents, ${report.chunks} new chunks; ${answerable.length} answerable questions\n`);
const names = new Map((await pipeline.store.listDocuments()).map((d) => [d.id, d.name]));
const retriever = createRetriever({ store: pipeline.store });
const samples: WeightCalibrationSample[] = [];
for (const q of answerable) {
  samples.push({
    features: await retriever.keywordFeatures(q.question),
    relevant: (c) => (q.evidence ?? []).some((e) => e.doc === names.get(c.docId) && (e.pages?.includes(c.page) ?? false)),
  });
}
const k = Number(values.folds);
// Several fold assignments (seeds): one 5-fold split of ~100 questions moves MRR by ±0.02.
const repeats = Number(values.repeats);
const splits = Array.from({ length: repeats }, (_, r) => assignFolds(answerable.map((q) => ({ id: q.id, ...(q.category && { group: q.category }) })), k, r + 1));

/** Cross-validated MRR with some signals off (fixed at 0) and the rest fitted on each training fold, averaged over the splits. */
const crossValidated = (off: readonly SignalName[]): number => {
  const start: SignalWeights = { ...NEUTRAL_SIGNAL_WEIGHTS, ...Object.fromEntries(off.map((name) => [name, 0])) };
  let total = 0;
  for (const fold of splits) {
    for (let f = 0; f < k; f++) {
      const train = samples.filter((_, i) => fold[i] !== f);
      const test = samples.filter((_, i) => fold[i] === f);
      total += meanReciprocalRank(test, fitSignalWeights(train, { start, fixed: off }).weights) * test.length;
    }
  }
  return total / (samples.length * splits.length);
};

// Signals left out of every fit (to check a smaller set), comma-separated.
const without = values.without.split(',').map((n) => n.trim()).filter(Boolean) as SignalName[];
for (const name of without) if (!SIGNAL_NAMES.includes(name)) throw new Error(`--without: unknown signal "${name}"; the signals are ${SIGNAL_NAMES.join(', ')}`);
const all = crossValidated(without);
const fitted = fitSignalWeights(samples, { start: { ...NEUTRAL_SIGNAL_WEIGHTS, ...Object.fromEntries(without.map((name) => [name, 0])) }, fixed: without });
console.log(`${k}-fold cross-validation over ${repeats} fold assignments\n${without.length ? `without ${without.join(', ')}` : 'all signals'}: cross-validated MRR@10 ${all.toFixed(3)}; defaults ${meanReciprocalRank(samples, DEFAULT_SIGNAL_WEIGHTS).toFixed(3)}; fitted on all ${fitted.mrr.toFixed(3)}`);
console.log(`fitted weights: ${SIGNAL_NAMES.map((n) => `${n} ${fitted.weights[n]}`).join(', ')}\n`);
console.log('signal            CV MRR without   Δ        fitted, it zeroed   Δ');
for (const name of SIGNAL_NAMES) {
  if (name === 'bm25' || without.includes(name)) continue;
  const off = crossValidated([...without, name]);
  const zeroed = meanReciprocalRank(samples, { ...fitted.weights, [name]: 0 });
  console.log(`${name.padEnd(17)} ${off.toFixed(3).padStart(14)}   ${(off - all >= 0 ? '+' : '') + (off - all).toFixed(3)}   ${zeroed.toFixed(3).padStart(17)}   ${(zeroed - fitted.mrr >= 0 ? '+' : '') + (zeroed - fitted.mrr).toFixed(3)}`);
}
await pipeline.close();
