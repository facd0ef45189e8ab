// A runnable tour of @ragbridge/compare with no network, keys or models:
//
//   npm run example -w @ragbridge/compare
//
// It writes a small PDF and a Markdown file to a temporary folder, starts the fake Hugging Face
// services of @ragbridge/testkit, compares the `offline` profile (A) with `hf-spaces` (B) on
// four questions, writes report.md, report.json and the SVG charts, prints the verdicts, and then
// plans the re-index a switch would need (on a fresh store ingested through A).
import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { compareProfiles, reindexPlan, renderCharts, renderMarkdown, type CompareQuestion, type CompareSide } from '@ragbridge/compare';
import { fetchToFake, startFakeHf, writeSimplePdf } from '@ragbridge/testkit';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ragbridge-compare-'));
const docs = join(dir, 'docs');
mkdirSync(docs);
writeFileSync(
  join(docs, 'rv32i.pdf'),
  writeSimplePdf({
    title: 'RV32I notes',
    pages: [
      { lines: [{ text: 'Registers', size: 16 }, 'RV32I has 32 registers; register x0 is hardwired to the constant zero.'] },
      { lines: [{ text: 'Encoding', size: 16 }, 'The funct3 field selects the operation within the major opcode.'] },
      { lines: [{ text: 'Traps', size: 16 }, 'The mtvec register holds the trap vector base address.'] },
    ],
  }),
);
writeFileSync(join(docs, 'validation.md'), '# Software validation\n\nValidation confirms that the software conforms to user needs and intended uses.\n');

const questions: CompareQuestion[] = [
  { id: 'zero', question: 'Which register is hardwired to zero?', category: 'fact', evidence: [{ doc: 'rv32i.pdf', pages: [1] }] },
  { id: 'funct3', question: 'What does the funct3 field select?', category: 'encoding', evidence: [{ doc: 'rv32i.pdf', pages: [2] }] },
  { id: 'mtvec', question: 'Which register holds the trap vector base address?', category: 'fact', evidence: [{ doc: 'rv32i.pdf', pages: [3] }] },
  { id: 'nitrogen', question: 'What is the boiling point of liquid nitrogen?', category: 'out of scope', evidence: [] },
];

const TOKEN = 'hf_exampleFakeToken0123456789';
const hf = await startFakeHf({ token: TOKEN });
const quiet = { warn: () => undefined, info: () => undefined };
// HF_HUB_OFFLINE: the Transformers.js steps use only models already on disk (here none), so they fail at once.
const offline: CompareSide = { name: 'offline', runtime: { config: getBuiltInProfile('offline'), env: { HF_HUB_OFFLINE: '1' }, baseDir: dir, logger: quiet } };
const spaces: CompareSide = {
  name: 'hf-spaces',
  runtime: { config: getBuiltInProfile('hf-spaces'), env: { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' }, fetch: fetchToFake(hf.url), baseDir: dir, logger: quiet },
};

try {
  const report = await compareProfiles({
    a: offline,
    b: spaces,
    questions,
    corpus: [docs],
    storePath: join(dir, 'compare.db'),
    onProgress: (p) => process.stdout.write(`\r${p.phase} ${p.done}/${p.total}      `),
  });
  const out = join(dir, 'report');
  mkdirSync(out);
  const charts = renderCharts(report);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(out, name), svg);
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'report.md'), renderMarkdown(report, charts));
  console.log(`\n\nReport: ${join(out, 'report.md')}`);
  for (const [part, verdict] of Object.entries(report.verdicts)) console.log(`  ${part}: ${verdict.text}`);
  // embedder: not measured — offline's embedder could not index the store (ModelNotFoundError)
  // answers: answers differ — same citations 0.50 (threshold 0.80), refusal agreement 1.00 (threshold 0.90)
  // …

  const plan = await reindexPlan({ from: offline, to: spaces, storePath: join(dir, 'fresh.db'), corpus: [docs], sampleChunks: 2 });
  console.log(`\nRe-index for ${plan.to.modelId}: ${plan.chunksWithoutVectors} chunks, ~${plan.estimatedTokens} tokens, cost ${plan.cost.usd ?? 'unknown'} (${plan.cost.basis})`);
  console.log(`  time: ${plan.time.ms === null ? 'unknown' : `${Math.round(plan.time.ms)} ms`} (${plan.time.basis})`);
} finally {
  await hf.close();
}
