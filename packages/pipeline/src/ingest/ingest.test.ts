import type { DocumentStore } from '@ragbridge/core-interfaces';
import { writeSimplePdf } from '@ragbridge/testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeQueryGroups } from '../retrieval/text-analysis.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { ingestPaths, type IngestProgress } from './ingest.js';

let dir: string;
let store: SqliteStore;
let writes: number;

/** Counts writes, so tests can show that unchanged input does no work. */
function counting(inner: SqliteStore): DocumentStore {
  return {
    ...inner,
    putDocument: async (record) => {
      writes++;
      return inner.putDocument(record);
    },
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-ingest-'));
  store = openSqliteStore({ path: join(dir, 'store.db') });
  writes = 0;
  writeFileSync(join(dir, 'guide.md'), '# Guide\n\nThe funct3 field selects the operation.\n');
  writeFileSync(join(dir, 'notes.txt'), 'Plain notes about validation plans.\n');
  writeFileSync(join(dir, 'manual.pdf'), writeSimplePdf({ pages: [{ lines: [{ text: 'Registers', size: 18 }, 'RV32I has registers x0-x31.'] }] }));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const find = async (query: string): Promise<number> => (await store.keywordSearch.keywordCandidates({ groups: analyzeQueryGroups(query), limit: 10, rareTermLimit: 0 })).chunks.length;

describe('ingestPaths', () => {
  it('ingests PDF, Markdown and text, then skips unchanged files without extracting or writing', async () => {
    const events: IngestProgress[] = [];
    const first = await ingestPaths([dir], { store: counting(store), workers: 0, onProgress: (e) => events.push(e) });
    expect(first.added).toHaveLength(3);
    expect(first.failed).toEqual([]);
    expect(writes).toBe(3);
    expect(events[0]).toEqual({ type: 'scan', files: 3 });
    expect(events.filter((e) => e.type === 'file')).toHaveLength(3);
    expect(await find('funct3')).toBe(1);
    expect(await find('x31')).toBe(1);

    const second = await ingestPaths([dir], { store: counting(store), workers: 0 });
    expect(second.unchanged).toHaveLength(3);
    expect(second.added.length + second.updated.length).toBe(0);
    expect(second.pages).toBe(0);
    expect(writes).toBe(3);
  });

  it('replaces a changed file and prunes a removed one', async () => {
    await ingestPaths([dir], { store, workers: 0 });
    writeFileSync(join(dir, 'guide.md'), '# Guide\n\nThe opcode field is seven bits.\n');
    rmSync(join(dir, 'notes.txt'));
    const report = await ingestPaths([dir], { store, workers: 0, prune: true });
    expect(report.updated).toEqual([join(dir, 'guide.md')]);
    expect(report.removed).toEqual([join(dir, 'notes.txt')]);
    expect(await find('funct3')).toBe(0);
    expect(await find('opcode')).toBe(1);
    expect(await find('validation')).toBe(0);
  });

  it('prune refuses to empty the store under folders that hold no file now, unless pruneAll says so', async () => {
    await ingestPaths([dir], { store, workers: 0 });
    const stored = (await store.listDocuments()).length;
    expect(stored).toBeGreaterThan(1);
    const { readdirSync } = await import('node:fs');
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true });
    const refused = await ingestPaths([dir], { store, workers: 0, prune: true });
    expect(refused.removed).toEqual([]);
    expect(refused.pruneRefused).toBe(stored);
    expect(await store.listDocuments()).toHaveLength(stored);
    const allowed = await ingestPaths([dir], { store, workers: 0, prune: true, pruneAll: true });
    expect(allowed.removed).toHaveLength(stored);
    expect(allowed.pruneRefused).toBeUndefined();
    expect(await store.listDocuments()).toHaveLength(0);
  });

  it('reports bad files one by one and leaves stored documents untouched', async () => {
    await ingestPaths([dir], { store, workers: 0 });
    const before = await store.stats();
    const bad = join(dir, 'bad');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bad);
    const pdf = writeSimplePdf({ pages: [{ lines: ['Some text'] }] });
    writeFileSync(join(bad, 'empty.pdf'), new Uint8Array(0));
    writeFileSync(join(bad, 'truncated.pdf'), pdf.subarray(0, 60));
    writeFileSync(join(bad, 'fake.pdf'), 'this is plain text, not a PDF');
    writeFileSync(join(bad, 'locked.pdf'), writeSimplePdf({ pages: [{ lines: ['secret'] }], passwordProtected: true }));
    writeFileSync(join(bad, 'scan.pdf'), writeSimplePdf({ pages: [{ lines: [] }] }));
    writeFileSync(join(bad, 'binary.txt'), new Uint8Array([0, 1, 2, 0, 255]));
    const report = await ingestPaths([bad, join(dir, 'missing.pdf')], { store, workers: 0 });
    const codes = Object.fromEntries(report.failed.map((f) => [f.source.split('/').pop(), f.code]));
    expect(codes).toEqual({
      'binary.txt': 'corrupt',
      'empty.pdf': 'empty',
      'fake.pdf': 'corrupt',
      'locked.pdf': 'encrypted',
      'scan.pdf': 'no-text',
      'truncated.pdf': expect.stringMatching(/corrupt|no-text|unreadable/),
      'missing.pdf': 'unreadable',
    });
    for (const failure of report.failed) expect(failure.message.length).toBeGreaterThan(8);
    expect(await store.stats()).toEqual(before);
    expect(await find('funct3')).toBe(1);
  });

  it('names a document by its display name when one is given (a file stored under a generated name)', async () => {
    const stored = join(dir, '3f2a9c.md');
    writeFileSync(stored, '# Timers\n\nThe mtimecmp register holds the compare value.\n');
    const report = await ingestPaths([stored], { store, workers: 0, names: new Map([[stored, '機械タイマー manual (v2).md']]) });
    expect(report.added).toEqual([stored]);
    expect((await store.getDocumentBySource(stored))?.name).toBe('機械タイマー manual (v2).md');
    // Files without a given name keep their base name.
    expect((await ingestPaths([join(dir, 'guide.md')], { store, workers: 0, names: new Map() })).added).toHaveLength(1);
    expect((await store.listDocuments()).map((d) => d.name).sort()).toEqual(['guide.md', '機械タイマー manual (v2).md']);
  });

  it('refuses files over the size limit with the sizes in the message', async () => {
    const report = await ingestPaths([join(dir, 'guide.md')], { store, workers: 0, maxFileBytes: 10 });
    expect(report.failed[0]).toMatchObject({ code: 'too-large' });
    expect(report.failed[0]?.message).toMatch(/more than the limit of 10/);
  });

  it('extracts, chunks and analyzes on worker threads, reporting the pages of a PDF as they are read', async () => {
    const long = join(dir, 'long.pdf');
    writeFileSync(long, writeSimplePdf({ pages: Array.from({ length: 40 }, (_, i) => ({ lines: [`Page ${i + 1} describes counter ${i + 1}.`] })) }));
    for (const workers of [2, 0]) {
      const events: IngestProgress[] = [];
      const target = openSqliteStore({ path: ':memory:' });
      const report = await ingestPaths([dir], { store: target, workers, onProgress: (e) => events.push(e) });
      expect(report.added).toHaveLength(4);
      expect(report.stageMs.chunk).toBeGreaterThan(0);
      expect(report.stageMs.analyze).toBeGreaterThan(0);
      const pages = events.filter((e): e is Extract<IngestProgress, { type: 'pages' }> => e.type === 'pages' && e.source === long);
      // Throttled, but the last page is always reported, and before the file's own event.
      expect(pages.at(-1)).toMatchObject({ page: 40, pages: 40 });
      expect(events.findIndex((e) => e.type === 'pages' && e.source === long)).toBeLessThan(events.findIndex((e) => e.type === 'file' && e.source === long));
      expect((await target.keywordSearch.keywordCandidates({ groups: analyzeQueryGroups('counter 37'), limit: 3, rareTermLimit: 0 })).chunks.length).toBeGreaterThan(0);
      await target.close();
    }
  });
});
