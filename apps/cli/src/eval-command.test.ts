import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { UsageError } from './commands.js';
import { evalCommand } from './eval-command.js';
import type { CrossValidation } from './eval-cross-validation.js';
import type { EvalSummary } from './metrics.js';


const TOPICS = [
  ['caching.md', 'Cache eviction', 'The cache evicts the least recently used entry when it holds more than 512 entries.', 'When does the cache evict an entry?'],
  ['logging.md', 'Log rotation', 'Log files rotate every night at midnight and are kept for fourteen days.', 'How long are rotated log files kept?'],
  ['auth.md', 'Token expiry', 'Access tokens expire after thirty minutes; refresh tokens after seven days.', 'When do access tokens expire?'],
  ['queue.md', 'Queue retries', 'A failed job is retried five times with exponential backoff before it moves to the dead-letter queue.', 'How often is a failed job retried?'],
  ['backup.md', 'Backups', 'Snapshots of the database are taken every six hours and copied to a second region.', 'How often are database snapshots taken?'],
  ['search.md', 'Search ranking', 'Search results are ranked by BM25 over titles and bodies, with titles weighted twice.', 'How are search results ranked?'],
] as const;

function corpus(): { dir: string; qa: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rb-eval-'));
  const items: unknown[] = [];
  TOPICS.forEach(([file, heading, text, question], i) => {
    writeFileSync(join(dir, file), `# ${heading}\n\n${text}\n`);
    items.push({ id: `in-${i}`, question, category: i % 2 ? 'fact' : 'guidance', evidence: [{ doc: file, pages: [1], quote: text.slice(0, 40) }] });
  });
  for (const [i, question] of ['What oven temperature suits sourdough bread?', 'How do I repot an orchid?', 'Explain the offside rule in football.', 'Which wax suits cross-country skis?'].entries()) {
    items.push({ id: `out-${i}`, question, category: 'out_of_scope', evidence: [] });
  }
  const qa = join(dir, 'qa.json');
  writeFileSync(qa, JSON.stringify(items));
  return { dir, qa };
}

describe('ragbridge eval', () => {
  it('--folds K cross-validates: every labelled question is scored once while held out, with figures per fold and fitted on all', async () => {
    const { dir, qa } = corpus();
    const out = join(dir, 'out.json');
    const log = sink();
    expect(await evalCommand({ corpus: dir, qa, out, store: join(dir, 'eval.db'), folds: 2, log: log.stream })).toBe(0);
    const written = JSON.parse(readFileSync(out, 'utf8')) as { results: unknown[]; summary: EvalSummary; crossValidation: CrossValidation };
    expect(written.results).toHaveLength(10);
    expect(written.summary.inScope.questions).toBe(6);
    const cv = written.crossValidation;
    expect(cv.folds).toBe(2);
    expect(cv.perFold.map((f) => f.questions).reduce((a, b) => a + b, 0)).toBe(10);
    expect(cv.pooled.inScope.questions).toBe(6);
    expect(cv.pooled.refusals.outOfScope).toBe(4);
    expect(cv.spread['hit@5'].mean).toBeGreaterThan(0.5);
    expect(Object.keys(cv.fitOnAll.weights)).toContain('phrase');
    expect(cv.fitOnAll.refusal.minCoverage).toBeGreaterThanOrEqual(0);
    expect(log.text()).toContain('Cross-validated (2 folds');
    expect(log.text()).toMatch(/Citation support: \d+\/\d+ cited pages hold the evidence/);
    expect(log.text()).toMatch(/hit@5 +\d\.\d{3} ± \d\.\d{3}/);
  });

  it('reads several question files, and names what is wrong with bad input', async () => {
    const { dir, qa } = corpus();
    const log = sink();
    const second = join(dir, 'more.json');
    writeFileSync(second, JSON.stringify([{ id: 'x1', question: 'How are search results ranked?', evidence: [{ doc: 'missing.pdf', pages: [3] }] }]));
    // Evidence naming no document of the corpus: the results are written, and the exit code says it.
    expect(await evalCommand({ corpus: dir, qa: `${qa},${second}`, out: join(dir, 'o.json'), store: join(dir, 'e.db'), log: log.stream })).toBe(1);
    expect(log.text()).toContain('Error: evidence names 1 document(s) not in the corpus, so their questions cannot score (the results are written; exit code 1): missing.pdf');
    expect(JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')).results.length).toBeGreaterThan(1);
    await expect(evalCommand({ corpus: join(dir, 'nope'), qa, out: join(dir, 'o.json'), log: log.stream })).rejects.toThrow(/--corpus .*nope: no such file or folder/);
    writeFileSync(second, JSON.stringify([{ id: 'in-0', question: 'again' }]));
    await expect(evalCommand({ corpus: dir, qa: [qa, second], out: join(dir, 'o.json'), log: log.stream })).rejects.toThrow(UsageError);
    await expect(evalCommand({ corpus: dir, qa: join(dir, 'none.json'), out: join(dir, 'o.json'), log: log.stream })).rejects.toThrow(/none\.json: no such file/);
    await expect(evalCommand({ corpus: dir, qa, out: join(dir, 'o.json'), folds: 1, log: log.stream })).rejects.toThrow(/--folds/);
  });
});

describe('ragbridge eval matches evidence by path relative to the corpus', () => {
  it('two README.md in different folders: a path names one; the bare name warns once, names both, and counts as either', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-eval-paths-'));
    mkdirSync(join(dir, 'alpha'));
    mkdirSync(join(dir, 'beta'));
    writeFileSync(join(dir, 'alpha', 'README.md'), '# Alpha\n\nThe flux capacitor needs 1.21 gigawatts to travel in time.\n');
    writeFileSync(join(dir, 'beta', 'README.md'), '# Beta\n\nThe warp core runs on dilithium crystals mined on Remus.\n');
    writeFileSync(join(dir, 'notes.md'), '# Notes\n\nThe orchid greenhouse is watered every Tuesday morning.\n');
    const qa = join(dir, 'qa.json');
    writeFileSync(
      qa,
      JSON.stringify([
        { id: 'by-path', question: 'How many gigawatts does the flux capacitor need?', evidence: [{ doc: 'alpha/README.md', pages: [1] }] },
        { id: 'by-other-path', question: 'What does the warp core run on?', evidence: [{ doc: './beta/README.md', pages: [1] }] },
        { id: 'bare-1', question: 'How many gigawatts does the flux capacitor need to travel in time?', evidence: [{ doc: 'README.md', pages: [1] }] },
        { id: 'bare-2', question: 'Where are the dilithium crystals of the warp core mined?', evidence: [{ doc: 'README.md', pages: [1] }] },
        { id: 'unique', question: 'When is the orchid greenhouse watered?', evidence: [{ doc: 'notes.md', pages: [1] }] },
      ]),
    );
    const out = join(dir, 'out.json');
    const log = sink();
    expect(await evalCommand({ corpus: dir, qa, out, store: join(dir, 'eval.db'), log: log.stream })).toBe(0);
    const warnings = log.text().split('\n').filter((l) => l.startsWith('Warning:'));
    expect(warnings).toEqual([
      `Warning: evidence names "README.md", which 2 documents of the corpus share (alpha/README.md, beta/README.md); it counts as matching any of them. Give the path relative to ${dir} to name one.`,
    ]);
    expect(log.text()).not.toContain('Error:');
    // Every question's evidence is found at rank 1: by path, and by the shared name in either folder.
    expect(log.text()).toMatch(/hit@1 1\.000 {2}hit@5 1\.000 {2}hit@10 1\.000 {2}MRR@10 1\.000/);
    const { results } = JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ id: string; retrieved: Array<{ doc: string }>; citations: Array<{ doc: string }> }> };
    // Results name documents as evidence does: by their path relative to the corpus.
    expect(results.find((r) => r.id === 'by-other-path')?.retrieved[0]?.doc).toBe('beta/README.md');
    expect(results.find((r) => r.id === 'by-path')?.citations[0]?.doc).toBe('alpha/README.md');
    expect(results.find((r) => r.id === 'unique')?.retrieved[0]?.doc).toBe('notes.md');
  });

  it('a path that is not in the corpus is still an error, with exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-eval-paths-'));
    mkdirSync(join(dir, 'alpha'));
    writeFileSync(join(dir, 'alpha', 'README.md'), '# Alpha\n\nThe flux capacitor needs 1.21 gigawatts.\n');
    const qa = join(dir, 'qa.json');
    writeFileSync(qa, JSON.stringify([{ id: 'q', question: 'How many gigawatts?', evidence: [{ doc: 'beta/README.md', pages: [1] }] }]));
    const log = sink();
    expect(await evalCommand({ corpus: dir, qa, out: join(dir, 'o.json'), store: join(dir, 'eval.db'), log: log.stream })).toBe(1);
    expect(log.text()).toContain('Error: evidence names 1 document(s) not in the corpus, so their questions cannot score (the results are written; exit code 1): beta/README.md');
  });
});
