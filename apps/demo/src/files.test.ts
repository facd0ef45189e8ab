import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from './server.js';
import { commitUpload, MAX_STORED_NAME_BYTES, safeFileName, stageUpload } from './uploads.js';

const encoder = new TextEncoder();

/** Every file under the upload folder, relative to it. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (
    readdirSync(folder, { recursive: true, withFileTypes: true }) as Array<{
      name: string;
      parentPath: string;
      isFile(): boolean;
    }>
  )
    .filter((e) => e.isFile())
    .map((e) => relative(folder, join(e.parentPath, e.name)))
    .sort();
}

const corruptPdf = new Uint8Array([
  ...encoder.encode('%PDF-1.7\n'),
  ...Array.from({ length: 2000 }, (_, i) => (i * 31) % 256),
]);

describe('uploaded file names', () => {
  it('caps names by UTF-8 bytes on whole characters, keeping the extension', () => {
    const emoji = safeFileName(`${'👍🏽'.repeat(100)}.PDF`);
    expect(emoji.endsWith('.pdf')).toBe(true);
    expect(encoder.encode(emoji).length).toBeLessThanOrEqual(MAX_STORED_NAME_BYTES);
    // Whole grapheme clusters only: no lone surrogate, no thumb without its skin tone.
    expect(emoji.slice(0, -4)).toMatch(/^(👍🏽)+$/u);
    expect(safeFileName('नमस्ते दुनिया.md')).toBe('नमस्ते दुनिया.md');
    expect(safeFileName(`${'a'.repeat(300)}.markdown`)).toBe(`${'a'.repeat(MAX_STORED_NAME_BYTES - 9)}.markdown`);
  });
});

describe('start-up', () => {
  it('removes temporary and orphan files from the upload folder and puts back a file an interrupted replacement set aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-demo-startup-'));
    const start = () =>
      startServer({
        resolve: { profile: 'offline', env: { HOST: '127.0.0.1' }, cwd: dir },
        dataDir: dir,
        port: 0,
        sampleCorpus: false,
        log: () => undefined,
      });
    const uploads = join(dir, 'uploads');
    const first = await start();
    let keptSource: string;
    const kept = '# Kept\n\nThe stored version.';
    try {
      const staged = await stageUpload(uploads, 'kept.md', encoder.encode(kept));
      await commitUpload(staged);
      await first.runtime.pipeline.ingest([staged.target]);
      keptSource = staged.target;
      const stored = await first.runtime.pipeline.store.getDocumentBySource(keptSource);
      // Crashes: a replacement moved into place but never ingested, an upload never moved into place.
      await commitUpload(
        await stageUpload(uploads, 'kept.md', encoder.encode('# Kept\n\nA version never stored.'), stored)
      );
      await stageUpload(uploads, 'half.md', encoder.encode('# Half'));
      // Left-overs of earlier versions: a temporary file beside its target, a file whose ingest failed.
      writeFileSync(join(uploads, 'old.pdf.3f1c.part'), '%PDF-1.7');
      writeFileSync(join(uploads, 'failed.pdf'), corruptPdf);
      mkdirSync(join(uploads, 'abc123'));
      writeFileSync(join(uploads, 'abc123', 'orphan.txt'), 'nobody');
      writeFileSync(join(uploads, 'notes.json'), '{}');
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      expect(filesUnder(uploads)).toEqual([relative(uploads, keptSource), 'notes.json']);
      expect(readFileSync(keptSource, 'utf8')).toBe(kept);
      expect(readdirSync(uploads).sort()).toEqual([relative(uploads, keptSource).split('/')[0], 'notes.json'].sort());
    } finally {
      await second.close();
    }
  }, 60_000);
});
