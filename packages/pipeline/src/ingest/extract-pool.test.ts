import { writeSimplePdf } from '@ragbridge/testkit';
import { describe, expect, it } from 'vitest';
import { createExtractPool } from './extract-pool.js';

const pdf = writeSimplePdf({ pages: [{ lines: ['Worker threads extract this page.'] }, { lines: ['And this one.'] }] });

describe('extraction pool', () => {
  it('extracts on workers and keeps the caller bytes intact', async () => {
    const pool = createExtractPool(2);
    try {
      const docs = await Promise.all([pool.extract(pdf, 'application/pdf'), pool.extract(pdf, 'application/pdf'), pool.extract(pdf, 'application/pdf')]);
      expect(docs.map((d) => d.pageCount)).toEqual([2, 2, 2]);
      expect(pdf.byteLength).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('retries a document that outgrows a worker in a one-off worker with a larger heap, never on the calling thread', async () => {
    const pool = createExtractPool(1, { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 });
    try {
      const doc = await pool.extract(pdf, 'application/pdf');
      expect(doc.pages[0]?.blocks.map((b) => b.text).join(' ')).toContain('Worker threads extract this page.');
    } finally {
      await pool.close();
    }
    // Too large for the larger worker too: a clear per-file error, not an extraction on this thread.
    const tiny = { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 };
    const strict = createExtractPool(1, tiny, tiny);
    try {
      await expect(strict.extract(pdf, 'application/pdf')).rejects.toMatchObject({ name: 'IngestError', code: 'too-large', message: expect.stringMatching(/more than 2 MB of memory/) });
    } finally {
      await strict.close();
    }
  });

  it('moves the bytes to the worker when they can be read again, and reads them again for a retry in a larger worker', async () => {
    const pool = createExtractPool(1, { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 });
    try {
      const bytes = pdf.slice();
      let reloads = 0;
      const prepared = await pool.prepare(bytes, 'application/pdf', { docId: 'd', name: 'd.pdf' }, { reload: async () => (reloads++, pdf.slice()) });
      // Moved, not copied: the caller's buffer is detached.
      expect(bytes.byteLength).toBe(0);
      expect(reloads).toBe(1);
      expect(prepared.chunks.map((c) => c.text).join(' ')).toContain('Worker threads extract this page.');
    } finally {
      await pool.close();
    }
  });
});
