import { writeSimplePdf } from '@ragbridge/sample-corpus';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import type { Citation } from '@ragbridge/core-interfaces';
import { askCommand, formatCitation } from './commands.js';
import { ingestCommand } from './ingest-command.js';
import { evalCommand } from './eval-command.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';

// Imported lazily, as compare --fake-services does (the test kit is a dev dependency of the CLI).
const { startFakeOllama } = await import('@ragbridge/testkit');

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-cli-'));
  writeFileSync(join(dir, 'isa.md'), '# Base ISA\n\nThe RV32I base integer instruction set has 32 integer registers named x0-x31.\n\n## Branches\n\nBLTU branches when rs1 is less than rs2, unsigned.\n');
  writeFileSync(
    join(dir, 'guide.pdf'),
    writeSimplePdf({
      pages: [
        { lines: [{ text: 'Validation', size: 18 }, 'Software validation must be repeated after every change to the software.'] },
        { lines: [{ text: 'Testing', size: 18 }, 'User site testing should follow a written plan with a formal summary of results.'] },
      ],
    }),
  );
  return dir;
}

describe('ragbridge CLI', () => {
  it('eval writes the documented JSON format and prints hit@k, MRR and refusals', async () => {
    const dir = corpus();
    const qa = join(dir, 'qa.json');
    writeFileSync(
      qa,
      JSON.stringify([
        { id: 'q1', question: 'How many integer registers does RV32I have?', category: 'fact', evidence: [{ doc: 'isa.md', pages: [1] }] },
        { id: 'q2', question: 'What should user site testing follow?', category: 'guidance', evidence: [{ doc: 'guide.pdf', pages: [2] }] },
        { id: 'q3', question: 'What oven temperature suits sourdough bread?', category: 'out_of_scope', evidence: [] },
        { id: 'q4', question: 'When must software validation be repeated?' },
      ]),
    );
    const out = join(dir, 'out', 'results.json');
    const log = sink();
    expect(await evalCommand({ corpus: dir, qa, out, store: join(dir, 'eval.db'), log: log.stream })).toBe(0);
    const { results } = JSON.parse(readFileSync(out, 'utf8')) as { results: Array<Record<string, unknown>> };
    expect(results.map((r) => r.id)).toEqual(['q1', 'q2', 'q3', 'q4']);
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(['answer', 'citations', 'id', 'ms', 'refused', 'retrieved']);
      const retrieved = r.retrieved as Array<{ doc: string; page: number; score: number }>;
      expect(retrieved.length).toBeLessThanOrEqual(10);
      // A Markdown passage also names its section; a PDF passage only its page.
      for (const x of retrieved) expect(Object.keys(x).sort()).toEqual(x.doc.endsWith('.md') ? ['doc', 'page', 'score', 'section'] : ['doc', 'page', 'score']);
    }
    expect(results[0]?.retrieved).toContainEqual(expect.objectContaining({ doc: 'isa.md', page: 1, section: 'base-isa' }));
    expect(results[1]?.citations).toContainEqual({ doc: 'guide.pdf', page: 2 });
    expect(results[2]?.refused).toBe(true);
    expect(log.text()).toMatch(/hit@1 1\.000 {2}hit@5 1\.000 {2}hit@10 1\.000 {2}MRR@10 1\.000/);
    expect(log.text()).toContain('Refusals: 1/1 out-of-scope refused, 0/2 in-scope refused');
    expect(log.text()).toMatch(/fact +n=1/);
  });

  it('ingest then ask answers with a citation to document and page', async () => {
    const dir = corpus();
    const store = join(dir, 'store.db');
    const log = sink();
    expect(await ingestCommand([dir], { store, workers: 1, out: log.stream })).toBe(0);
    expect(log.text()).toMatch(/2 added, 0 updated, 0 unchanged/);
    const answer = sink();
    await askCommand('What should user site testing follow?', { store, out: answer.stream });
    expect(answer.text()).toContain('[1] guide.pdf, page 2');
    expect(answer.text()).toContain('written plan');
  });

  it('ask cites the section of a Markdown document, with its anchor, in text and JSON', async () => {
    const dir = corpus();
    const store = join(dir, 'store.db');
    await ingestCommand([dir], { store, workers: 1, out: sink().stream });
    const answer = sink();
    await askCommand('When does BLTU branch?', { store, out: answer.stream });
    expect(answer.text()).toContain('[1] isa.md § Branches (#branches)');
    expect(answer.text()).not.toMatch(/isa\.md, page/);
    const json = sink();
    await askCommand('When does BLTU branch?', { store, json: true, out: json.stream });
    const parsed = JSON.parse(json.text()) as { citations: Array<Citation & { where: string }> };
    expect(parsed.citations[0]).toMatchObject({ docName: 'isa.md', section: { title: 'Branches', anchor: 'branches' }, where: 'isa.md § Branches (#branches)' });
  });

  it('ask --explain shows each source with the signals that ranked it, and a refusal says why', async () => {
    const dir = corpus();
    const store = join(dir, 'store.db');
    await ingestCommand([dir], { store, workers: 1, out: sink().stream });
    const explained = sink();
    await askCommand('What should user site testing follow?', { store, explain: true, out: explained.stream });
    expect(explained.text()).toContain('Sources, and the signals that put each where it is:');
    // Each source: place, score, ranks, then its signal contributions largest first.
    expect(explained.text()).toMatch(/1\. guide\.pdf, page 2 — score \d+\.\d{3} \(keyword #1\)\n {5}\w+ \d\.\d\d( · \w+ \d\.\d\d)*\n/);
    expect(explained.text()).toContain('bm25 1.00');
    expect(explained.text()).toMatch(/Evidence: coverage \d\.\d\d/);
    const json = sink();
    await askCommand('How is the Zacas extension encoded?', { store, json: true, explain: true, out: json.stream });
    const parsed = JSON.parse(json.text()) as { refused: boolean; refusalReason: string; evidence: { missingSpecificTerms: string[] } };
    expect(parsed).toMatchObject({ refused: true, refusalReason: 'the documents never mention "Zacas"', evidence: { missingSpecificTerms: ['Zacas'] } });
    const refused = sink();
    await askCommand('How is the Zacas extension encoded?', { store, out: refused.stream });
    expect(refused.text()).toContain('(refused: the documents never mention "Zacas")');
  });

  it('formats citations: page for paged documents, section where there is one, the name otherwise', () => {
    const base: Citation = { index: 1, docId: 'd', docName: 'notes.txt', page: 1, pageLabel: '1', chunkId: 'd:p1:0' };
    expect(formatCitation({ ...base, docName: 'spec.pdf', page: 6, pageLabel: 'iv' }, () => true)).toBe('spec.pdf, page iv (physical page 6)');
    expect(formatCitation({ ...base, docName: 'a.html', section: { title: '20.4.1. Memory', anchor: 'RUNTIME-CONFIG-RESOURCE-MEMORY' } })).toBe(
      'a.html § 20.4.1. Memory (#RUNTIME-CONFIG-RESOURCE-MEMORY)',
    );
    expect(formatCitation({ ...base, docName: 'b.html', section: { title: 'Intro' } })).toBe('b.html § Intro');
    expect(formatCitation(base, () => false)).toBe('notes.txt');
  });

  it('ask --profile local answers through the runtime with the Ollama model (fake server)', async () => {
    const ollama = await startFakeOllama({ port: 0 });
    const saved = { OLLAMA_HOST: process.env.OLLAMA_HOST, HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE, RAGBRIDGE_PROFILE: process.env.RAGBRIDGE_PROFILE };
    process.env.OLLAMA_HOST = ollama.url;
    process.env.HF_HUB_OFFLINE = '1';
    delete process.env.RAGBRIDGE_PROFILE;
    try {
      const store = join(mkdtempSync(join(tmpdir(), 'rb-cli-store-')), 'store.db');
      // ingest --profile goes through the same runtime: its embedder (Transformers.js here, not on
      // disk, so none) is asked to embed the new chunks, and the report says how many it did.
      const ingested = sink();
      expect(await ingestCommand([corpus()], { store, profile: 'local', workers: 0, out: ingested.stream })).toBe(0);
      expect(ingested.text()).toMatch(/Embedded 0 chunk\(s\) with the local profile's embedder\./);
      const out = sink();
      expect(await askCommand('How many integer registers does RV32I have?', { store, profile: 'local', json: true, out: out.stream })).toBe(0);
      const answer = JSON.parse(out.text()) as { mode: string; citations: Array<{ docName: string }> };
      expect(answer.mode).toBe('generative');
      expect(answer.citations[0]?.docName).toBe('isa.md');
      expect(ollama.requests.some((r) => r.path === '/api/chat')).toBe(true);
      await expect(askCommand('x', { store, profile: 'cloud' })).rejects.toThrow(/--profile: expected one of offline|local/);
    } finally {
      for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
      else process.env[key] = value;
      await ollama.close();
    }
  }, 60_000);

  it('compare writes the report, charts and JSON for two profiles on the fake services, and plans the re-index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cli-compare-'));
    const qa = join(dir, 'qa.json');
    writeFileSync(
      qa,
      JSON.stringify([
        { id: 'q1', question: 'How many integer registers does RV32I have?', evidence: [{ doc: 'isa.md', pages: [1] }] },
        { id: 'q2', question: 'When must software validation be repeated?', evidence: [{ doc: 'guide.pdf', pages: [1] }] },
        { id: 'q3', question: 'What oven temperature suits sourdough?', evidence: [] },
      ]),
    );
    const out = sink();
    const err = sink();
    const code = await compareCommand({ profiles: 'offline,hf-spaces', qa, corpus: corpus(), out: join(dir, 'report'), store: join(dir, 'store.db'), fakeServices: true, log: out.stream, err: err.stream });
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as { sides: { a: { name: string }; b: { name: string } }; questions: number; verdicts: Record<string, { text: string }> };
    expect([report.sides.a.name, report.sides.b.name, report.questions]).toEqual(['offline', 'hf-spaces', 3]);
    expect(readFileSync(join(dir, 'report', 'report.md'), 'utf8')).toContain('](latency.svg)');
    expect(readFileSync(join(dir, 'report', 'agreement.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(out.text()).toContain(`answers: ${report.verdicts.answers?.text}`);
    // Progress on stderr, written to a pipe, not a terminal: one line per finished phase, no carriage returns.
    expect(err.text()).not.toContain('\r');
    expect(err.text()).toMatch(/^\w[\w -]*: \d+\/\d+ done$/m);
    expect(out.text()).not.toMatch(/\d+\/\d+ done/);

    const plan = sink();
    const planErr = sink();
    expect(await compareCommand({ profiles: 'offline,hf-spaces', store: join(dir, 'store.db'), fakeServices: true, reindexPlan: true, apply: true, log: plan.stream, err: planErr.stream })).toBe(0);
    expect(plan.text()).toMatch(/Re-index plan offline → hf-spaces/);
    expect(plan.text()).toMatch(/Re-indexed for hf-spaces: \d+ chunks/);
    expect(planErr.text()).not.toContain('\r');
    await expect(compareCommand({ profiles: 'offline', qa, fakeServices: true, log: sink().stream })).rejects.toThrow(/two profiles/);
  }, 120_000);

  it('eval rejects a malformed question file with the reason', async () => {
    const dir = corpus();
    const qa = join(dir, 'bad.json');
    writeFileSync(qa, JSON.stringify([{ question: 'no id' }]));
    await expect(evalCommand({ corpus: dir, qa, out: join(dir, 'o.json') })).rejects.toThrow(/item 0 needs string "id" and "question"/);
  });

  it('the demo answers from the project docs and a generated PDF, with citations', async () => {
    const out = sink();
    const code = await demoCommand({ workdir: mkdtempSync(join(tmpdir(), 'rb-demo-')), out: out.stream });
    expect(out.text()).toContain('Citations:');
    expect(out.text()).toMatch(/\[\d\] \S+/);
    expect(code).toBe(0);
  });
});
