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

  it('retries on the calling thread when a worker runs out of memory', async () => {
    const pool = createExtractPool(1, { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 });
    try {
      const doc = await pool.extract(pdf, 'application/pdf');
      expect(doc.pages[0]?.blocks.map((b) => b.text).join(' ')).toContain('Worker threads extract this page.');
    } finally {
      await pool.close();
    }
  });
});
