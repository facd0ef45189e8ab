import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeQueryGroups } from '../retrieval/text-analysis.js';
import { openSqliteStore } from '../store/sqlite-store.js';

const writer = fileURLToPath(new URL('./__fixtures__/slow-writer.ts', import.meta.url));

describe('an ingest killed mid-write', () => {
  it('leaves the store usable with the previous content', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-kill-')), 'store.db');
    const store = openSqliteStore({ path });
    const text = 'original chunk about register files';
    await store.putDocument({
      document: { id: 'big', source: '/docs/big.pdf', name: 'big.pdf', mediaType: 'application/pdf', contentHash: 'old', pageCount: 1, byteSize: 1, ingestedAt: 1 },
      chunks: [{ id: 'big:orig', docId: 'big', text, page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: text.length, terms: analyze(text).join(' '), headingTerms: '' }],
      documentTerms: 'big',
    });
    await store.close();

    const child = spawn(process.execPath, ['--conditions=@ragbridge/source', '--import', 'tsx', writer, path, '400000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        // Kill as soon as the write has started: the transaction is open and half written.
        if (output.includes('writing')) setTimeout(() => child.kill('SIGKILL'), 150);
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    expect(stderr).toBe('');
    expect(output).toContain('writing');
    expect(output).not.toContain('committed');

    const after = openSqliteStore({ path });
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    expect((await after.getDocument('big'))?.contentHash).toBe('old');
    expect((await after.getDocumentChunks('big')).map((c) => c.id)).toEqual(['big:orig']);
    expect((await after.keywordSearch.keywordCandidates({ groups: analyzeQueryGroups('register files'), limit: 5, rareTermLimit: 0 })).chunks.map((h) => h.id)).toEqual(['big:orig']);
    expect((await after.keywordSearch.keywordCandidates({ groups: analyzeQueryGroups('replacement interrupted'), limit: 5, rareTermLimit: 0 })).chunks).toEqual([]);
    // And it still takes writes.
    await after.deleteDocument('big');
    expect((await after.stats()).chunks).toBe(0);
    await after.close();
  });
});
