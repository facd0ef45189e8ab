#!/usr/bin/env node
// Extractive answer benchmark: the answer composer alone, on the hits the pipeline retrieves for each
// question of a QA file from an ingested store. Prints the time per answer (p50/p95) and, for
// questions with evidence, citation support (cited pages that hold the evidence), expected content
// (answers containing every `must_contain` string) and the length of the answers.
//
//   npx ragbridge ingest ../shared/corpus --store /tmp/bench.db
//   node --conditions=@ragbridge/source --import tsx packages/pipeline/bench/extractive-answer-bench.ts --store /tmp/bench.db --qa /tmp/qa120.json
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RetrievalHit } from '@ragbridge/core-interfaces';
import { createPipeline, extractiveAnswer } from '../src/index.js';

const { values } = parseArgs({
  options: { store: { type: 'string' }, qa: { type: 'string' }, runs: { type: 'string', default: '20' } },
});
if (!values.store || !values.qa) {
  console.error('usage: extractive-answer-bench.ts --store FILE.db --qa FILE.json [--runs N]');
  process.exit(2);
}
const runs = Number(values.runs);
interface Item {
  id: string;
  question: string;
  must_contain?: string[];
  evidence?: Array<{ doc: string; pages: number[]; quote: string }>;
}
const items: Item[] = JSON.parse(readFileSync(values.qa, 'utf8'));
const squash = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const pipeline = createPipeline({ store: values.store });
const names = new Map((await pipeline.store.listDocuments()).map((d) => [d.id, d.name]));
const pageTexts = new Map<string, string>();
const pageText = async (docId: string, page: number): Promise<string> => {
  if (!pageTexts.has(docId)) {
    const pages = new Map<number, string>();
    for (const chunk of await pipeline.store.getDocumentChunks(docId))
      pages.set(chunk.page, (pages.get(chunk.page) ?? '') + squash(chunk.text));
    for (const [p, text] of pages) pageTexts.set(`${docId}#${p}`, text);
    pageTexts.set(docId, '');
  }
  return pageTexts.get(`${docId}#${page}`) ?? '';
};

// Retrieve once per question; the composer then runs on the same hits.
const asked: Array<{ item: Item; hits: RetrievalHit[] }> = [];
for (const item of items) {
  const { answer } = await pipeline.ask(item.question, { k: 30 });
  if (!answer.refused) asked.push({ item, hits: answer.sources });
}

const times: number[] = [];
for (let run = 0; run < runs + 2; run++) {
  for (const { item, hits } of asked) {
    const started = performance.now();
    extractiveAnswer(item.question, hits);
    if (run >= 2) times.push(performance.now() - started);
  }
}
times.sort((a, b) => a - b);

let cited = 0;
let supported = 0;
let withEvidence = 0;
let expected = 0;
let sentences = 0;
let characters = 0;
for (const { item, hits } of asked) {
  if (!item.evidence?.length) continue;
  withEvidence++;
  const answer = extractiveAnswer(item.question, hits);
  sentences += answer.sentences.length;
  characters += answer.text.length;
  if ((item.must_contain ?? []).every((m) => answer.text.toLowerCase().includes(m.toLowerCase()))) expected++;
  const pages = new Map(
    answer.used.map((n) => [
      `${(hits[n - 1] as RetrievalHit).chunk.docId}#${(hits[n - 1] as RetrievalHit).chunk.page}`,
      (hits[n - 1] as RetrievalHit).chunk,
    ])
  );
  for (const chunk of pages.values()) {
    cited++;
    const name = names.get(chunk.docId) ?? chunk.docId;
    const text = await pageText(chunk.docId, chunk.page);
    if (item.evidence.some((e) => (e.doc === name && e.pages.includes(chunk.page)) || text.includes(squash(e.quote))))
      supported++;
  }
}
await pipeline.close();

console.log(
  `Extractive answers on ${asked.length} answered questions of ${items.length} (${values.qa}, store ${values.store})`
);
console.log(
  `  time per answer: p50 ${percentile(times, 50).toFixed(3)} ms, p95 ${percentile(times, 95).toFixed(3)} ms (${
    times.length
  } answers)`
);
if (withEvidence > 0) {
  console.log(
    `  citation support: ${supported}/${cited} cited pages hold the evidence (${(
      supported / Math.max(1, cited)
    ).toFixed(3)}), ${(cited / withEvidence).toFixed(2)} pages per answer`
  );
  console.log(
    `  expected content: ${expected}/${withEvidence} answers contain every must_contain string (${(
      expected / withEvidence
    ).toFixed(3)})`
  );
  console.log(
    `  length: ${(sentences / withEvidence).toFixed(2)} sentences, ${Math.round(
      characters / withEvidence
    )} characters per answer`
  );
}
console.log(
  `Reproduce: node --conditions=@ragbridge/source --import tsx packages/pipeline/bench/extractive-answer-bench.ts --store ${values.store} --qa ${values.qa}`
);
