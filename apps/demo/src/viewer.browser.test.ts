/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page.evaluate() callbacks below run in the browser.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSimplePdf } from '@ragbridge/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from './__fixtures__/chromium.js';
import { startDemoOnFakes, type DemoOnFakes } from './__fixtures__/demo-on-fakes.js';
import { eventData, parseSse } from './__fixtures__/sse.js';

/**
 * The document viewer in Chromium: highlights of the cited sentence on the drawn PDF page,
 * in pdf.js's text layer. Runs against the real server on the offline profile (no model is
 * needed to show a page). In CI (`CI=true`) a missing Chromium is a failure; elsewhere the
 * suite is skipped.
 */
const executablePath = chromiumPath();
if (!executablePath && process.env.CI)
  throw new Error('browser tests need Chromium: .ci/run installs Debian\'s "chromium" (or set CHROMIUM_PATH)');

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

/** The sentence the question asks about: long enough to wrap over two lines of the page (two text layer spans). */
const KNOWN =
  'Audit logs are kept for ninety days in cold storage, after which the nightly archiver deletes them unless a legal hold applies to the account that produced them.';
const AFTER = 'The cafeteria opens at noon on weekdays.';
const QUESTION = 'How long are audit logs kept before the archiver deletes them?';
/** Lines above the sentence that share no word with the question, so the sentence sits low on the page. */
const FILLER = Array.from(
  { length: 24 },
  (_, i) => `Paragraph ${i + 1} describes the colour of the office walls and the shape of the chairs.`
);

function retentionPdf(): Uint8Array {
  return writeSimplePdf({
    title: 'Retention policy',
    pages: [
      {
        lines: [{ text: 'Overview', size: 18 }, 'This policy describes what the company stores and for how many days.'],
      },
      { lines: [{ text: 'Retention', size: 18 }, ...FILLER, KNOWN, AFTER] },
    ],
  });
}

/** Words of a text, for comparing text that pdf.js split into lines. */
const words = (text: string): string => text.replace(/\s+/g, ' ').trim();

interface LayerReport {
  canvas: { width: number; height: number; darkPixels: number };
  spans: string[];
  highlightedSpans: string[];
  cited: string;
  best: string;
  marks: Array<{ text: string; classes: string; background: string; title: string }>;
  bestRect: { top: number; bottom: number; left: number; right: number };
  /** Share of dark pixels of the drawn page under the first best mark: the mark sits on the glyphs. */
  inkUnderBest: number;
  viewportHeight: number;
  scrollY: number;
  sideways: boolean;
}

/** What the viewer shows: the canvas, the text layer's spans and marks, and where the best mark is. */
function layerReport(page: Page): Promise<LayerReport> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#pdf-page canvas');
    if (!canvas) throw new Error('no canvas');
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let darkPixels = 0;
    for (let i = 0; i < pixels.length; i += 4) if ((pixels[i] ?? 255) < 128) darkPixels++;
    const spans = [...document.querySelectorAll<HTMLElement>('.textLayer span')];
    const marks = [...document.querySelectorAll<HTMLElement>('.textLayer mark.pdf-hl')];
    const best = [...document.querySelectorAll<HTMLElement>('.textLayer mark.pdf-hl-best')];
    const first = best[0];
    if (!first) throw new Error('no best mark');
    const rect = first.getBoundingClientRect();
    const box = canvas.getBoundingClientRect();
    // The mark's box in the canvas's pixels; count the ink the page drew there.
    const sx = canvas.width / box.width;
    const sy = canvas.height / box.height;
    const x0 = Math.max(0, Math.floor((rect.left - box.left) * sx));
    const y0 = Math.max(0, Math.floor((rect.top - box.top) * sy));
    const w = Math.max(1, Math.floor(rect.width * sx));
    const hgt = Math.max(1, Math.floor(rect.height * sy));
    const under = ctx.getImageData(x0, y0, w, hgt).data;
    let ink = 0;
    for (let i = 0; i < under.length; i += 4) if ((under[i] ?? 255) < 160) ink++;
    return {
      canvas: { width: canvas.width, height: canvas.height, darkPixels },
      spans: spans.map((s) => s.textContent ?? ''),
      highlightedSpans: spans.filter((s) => s.querySelector('mark')).map((s) => s.textContent ?? ''),
      cited: [...document.querySelectorAll('.textLayer mark.pdf-hl-cited')].map((m) => m.textContent).join(' '),
      best: best.map((m) => m.textContent).join(' '),
      marks: marks.map((m) => ({
        text: m.textContent ?? '',
        classes: m.className,
        background: getComputedStyle(m).backgroundColor,
        title: m.title,
      })),
      bestRect: { top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right },
      inkUnderBest: ink / (under.length / 4),
      viewportHeight: window.innerHeight,
      scrollY: window.scrollY,
      sideways: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
}

/** The alpha of a computed CSS colour (`rgb(…)` is opaque, `rgba(…, a)` has it last). */
function alpha(color: string): number {
  const parts = color.match(/[\d.]+/g) ?? [];
  if (color.startsWith('rgba')) return Number(parts[3]);
  return color.startsWith('rgb') ? 1 : Number.NaN;
}

describe.skipIf(!executablePath)(
  'the document viewer highlights the cited sentence on the drawn PDF page (Chromium)',
  () => {
    let demo: DemoOnFakes;
    let browser: Browser;
    let docId: string;

    const shot = async (page: Page, name: string): Promise<void> => {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    };

    /** Opens the viewer at `width` × `height` on page 2 with `extra` parameters, and waits for the highlighted text layer. */
    const openViewer = async (width: number, height: number, extra: Record<string, string>): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width, height } });
      const url = new URL('/viewer.html', demo.url);
      url.search = new URLSearchParams({ doc: docId, page: '2', ...extra }).toString();
      await page.goto(url.href);
      await page.waitForFunction(
        () => document.body.dataset.page === '2' && document.body.dataset.textLayer !== undefined,
        undefined,
        { timeout: 60_000 }
      );
      return page;
    };

    beforeAll(async () => {
      demo = await startDemoOnFakes({ profile: 'offline' });
      const form = new FormData();
      form.append('file', new File([new Uint8Array(retentionPdf())], 'retention.pdf', { type: 'application/pdf' }));
      const upload = await fetch(`${demo.url}/api/documents`, { method: 'POST', body: form });
      expect(upload.status).toBe(202);
      const { job } = (await upload.json()) as { job: string };
      const events = parseSse(await (await fetch(`${demo.url}/api/jobs/${job}`)).text());
      expect(eventData<{ report: { added: string[] } }>(events, 'done').report.added).toEqual(['retention.pdf']);
      const { documents } = (await (await fetch(`${demo.url}/api/documents`)).json()) as {
        documents: Array<{ id: string; name: string }>;
      };
      docId = documents.find((d) => d.name === 'retention.pdf')?.id ?? '';
      expect(docId).not.toBe('');
      browser = await chromium.launch({
        executablePath: executablePath as string,
        args: ['--no-sandbox', '--disable-dev-shm-usage'],
      });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await demo?.close();
    });

    /** What every width must show for the question: the sentence highlighted over its glyphs, nothing else, scrolled to. */
    const expectSentenceHighlighted = async (viewer: Page): Promise<LayerReport> => {
      expect(await viewer.getAttribute('body', 'data-text-layer')).toBe('ready');
      const report = await layerReport(viewer);
      // The page is drawn, and the text layer holds its text.
      expect(report.canvas.width).toBeGreaterThan(300);
      expect(report.canvas.darkPixels).toBeGreaterThan(1000);
      expect(words(report.spans.join(' '))).toContain('Paragraph 24 describes');
      // The sentence is cited across the lines it wraps over, word for word; the best mark is the same sentence.
      expect(report.highlightedSpans.length).toBeGreaterThanOrEqual(2);
      expect(words(report.cited)).toBe(KNOWN);
      expect(words(report.best)).toBe(KNOWN);
      // Every highlighted span holds part of the sentence: no filler line, not the next sentence.
      for (const span of report.highlightedSpans) expect(KNOWN).toContain(words(span).replace(AFTER, '').trim());
      expect(report.highlightedSpans.join(' ')).not.toMatch(/Paragraph|chairs/);
      expect(report.marks.map((m) => m.text).join(' ')).not.toMatch(/cafeteria|noon|weekdays/);
      // Visible: each mark has a see-through background colour (the glyphs drawn below show through) and says what it is.
      for (const mark of report.marks) {
        expect(alpha(mark.background), `${mark.text}: ${mark.background}`).toBeGreaterThan(0.1);
        expect(alpha(mark.background)).toBeLessThan(1);
        expect(mark.title).not.toBe('');
      }
      // The question's words inside the sentence are marked as such too.
      expect(report.marks.filter((m) => m.classes.includes('pdf-hl-term')).map((m) => m.text.toLowerCase())).toEqual(
        expect.arrayContaining(['audit', 'logs', 'kept', 'archiver', 'deletes'])
      );
      // Over the drawn glyphs: the page has ink under the first highlighted line.
      expect(report.inkUnderBest).toBeGreaterThan(0.04);
      // Scrolled to: the sentence sits low on the page, so the window scrolled, and its first mark is on screen.
      expect(report.scrollY).toBeGreaterThan(0);
      expect(report.bestRect.top).toBeGreaterThanOrEqual(0);
      expect(report.bestRect.bottom).toBeLessThanOrEqual(report.viewportHeight);
      // Said in words: the info line quotes the sentence.
      const info = (await viewer.textContent('#highlight-info')) ?? '';
      expect(info).toContain(
        'Highlighted on the page: the sentence that best matches the question, “Audit logs are kept'
      );
      expect(await viewer.locator('#highlight-info').isVisible()).toBe(true);
      return report;
    };

    it('on a wide screen: the sentence that best matches the question is highlighted on page 2, over its glyphs, and scrolled to', async () => {
      const viewer = await openViewer(1280, 720, { q: QUESTION });
      await expectSentenceHighlighted(viewer);
      expect(await viewer.textContent('#page-indicator')).toBe('Page 2 (2 of 2)');
      await shot(viewer, 'viewer-1-highlight-wide');
      await viewer.close();
    }, 120_000);

    it('375 px wide: the same highlight, on screen, and the page does not scroll sideways', async () => {
      const viewer = await openViewer(375, 667, { q: QUESTION });
      const report = await expectSentenceHighlighted(viewer);
      expect(report.sideways).toBe(false);
      expect(report.bestRect.left).toBeGreaterThanOrEqual(0);
      expect(report.bestRect.right).toBeLessThanOrEqual(375);
      await shot(viewer, 'viewer-2-highlight-375');
      await viewer.close();
    }, 120_000);

    it('a quoted passage in `cite` is what is cited, whatever the question matches best', async () => {
      const viewer = await openViewer(1280, 720, { q: QUESTION, cite: `${AFTER.slice(0, -1)}  ` });
      const report = await layerReport(viewer);
      expect(words(report.best)).toBe(AFTER.slice(0, -1));
      expect(
        report.marks
          .filter((m) => m.classes.includes('pdf-hl-cited'))
          .map((m) => m.text)
          .join(' ')
      ).not.toMatch(/Audit/);
      // The question's words are still marked, lightly, in the sentence about the logs.
      expect(report.marks.filter((m) => !m.classes.includes('pdf-hl-cited')).map((m) => m.text)).toContain('archiver');
      expect(await viewer.textContent('#highlight-info')).toContain(
        'Highlighted on the page: the cited passage, “The cafeteria opens at noon on weekdays”'
      );
      await viewer.close();
    }, 120_000);
  }
);
