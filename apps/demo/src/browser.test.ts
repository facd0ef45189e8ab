import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimplePdf } from '@ragbridge/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from './__fixtures__/chromium.js';
import { FAKE_ADMIN_TOKEN, startDemoOnFakes, type DemoOnFakes } from './__fixtures__/demo-on-fakes.js';

/**
 * Browser tests: Debian's Chromium driven by playwright-core against the real server (hf-spaces
 * profile on the fake Hugging Face services, so answers are generated and cost money). In CI
 * (`CI=true`) a missing Chromium is a failure; elsewhere the suite is skipped.
 */
const executablePath = chromiumPath();
if (!executablePath && process.env.CI) throw new Error('browser tests need Chromium: .ci/run installs Debian\'s "chromium" (or set CHROMIUM_PATH)');

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

describe.skipIf(!executablePath)('the web UI in Chromium', () => {
  let demo: DemoOnFakes;
  let browser: Browser;
  let page: Page;
  const shot = async (target: Page, name: string): Promise<void> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    demo = await startDemoOnFakes({ profile: 'hf-spaces' });
    browser = await chromium.launch({ executablePath: executablePath as string, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('uploads a PDF, streams a cited answer, opens the cited page and shows cost and cache hits', async () => {
    await page.goto(demo.url);
    await expect.poll(() => page.textContent('#active-profile')).toContain('hf-spaces');

    // Upload.
    const dir = mkdtempSync(join(tmpdir(), 'rb-browser-'));
    const pdf = join(dir, 'plic-guide.pdf');
    writeFileSync(
      pdf,
      writeSimplePdf({
        title: 'PLIC guide',
        pages: [
          { lines: [{ text: 'Overview', size: 18 }, 'The platform-level interrupt controller routes external interrupts to hart contexts.'] },
          { lines: [{ text: 'Thresholds', size: 18 }, 'Each hart context has a priority threshold register.', 'Only interrupt sources with a priority strictly greater than the threshold can notify the context.'] },
        ],
      }),
    );
    await page.click('#tab-documents');
    await page.setInputFiles('#upload-input', pdf);
    await page.click('#upload-button');
    await expect.poll(() => page.textContent('#upload-summary'), { timeout: 60_000 }).toMatch(/plic-guide\.pdf/);
    await expect.poll(() => page.textContent('#documents-body'), { timeout: 15_000 }).toContain('plic-guide.pdf');
    await shot(page, '1-uploaded');

    // Ask: the answer streams in with citation chips.
    await page.click('#tab-ask');
    await page.fill('#question', 'Which interrupt sources can notify a hart context with a priority threshold?');
    await page.click('#ask-button');
    const chip = page.locator('#answer .citation-chip').first();
    await chip.waitFor({ timeout: 60_000 });
    expect(await page.textContent('#answer')).toMatch(/threshold/i);
    expect(await page.textContent('#status-line')).toMatch(/hf-inference-providers/);
    await shot(page, '2-answer');

    // The chip opens the viewer on the cited page.
    const href = (await chip.getAttribute('href')) as string;
    const cited = Number(new URL(href, demo.url).searchParams.get('page'));
    const [viewer] = await Promise.all([page.context().waitForEvent('page'), chip.click()]);
    await viewer.waitForSelector('#page-indicator', { timeout: 30_000 });
    await expect.poll(() => viewer.locator('body').getAttribute('data-page')).toBe(String(cited));
    expect(await viewer.textContent('#page-indicator')).toContain(`${cited} of 2`);
    await shot(viewer, '3-viewer');
    await viewer.close();

    // Asking again hits the answer cache; the dashboard shows cost and cache hits.
    await expect.poll(() => page.getAttribute('#answer', 'data-state'), { timeout: 30_000 }).toBe('answered');
    await page.fill('#question', 'Which interrupt sources can notify a hart context with a priority threshold?');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getAttribute('#answer', 'data-state'), { timeout: 60_000 }).toBe('answered');
    await page.click('#tab-dashboard');
    await expect.poll(async () => Number(((await page.textContent('#total-cost')) ?? '').replace(/[^\d.]/g, '')), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number(((await page.textContent('#total-cache-hits')) ?? '').replace(/[^\d]/g, '')), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('#chart-cost svg').count()).toBeGreaterThan(0);
    await shot(page, '4-dashboard');
  }, 180_000);

  it('cites an HTML page by section and opens the viewer scrolled to that section, as text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-browser-html-'));
    const filler = (topic: string): string => Array.from({ length: 14 }, (_, i) => `<p>Paragraph ${i} about ${topic} and how it behaves under load.</p>`).join('');
    const file = join(dir, 'cache-settings.html');
    writeFileSync(
      file,
      `<html><head><title>Cache settings</title></head><body><div class="sect1" id="CACHE"><h2>7.2. Cache Settings</h2>${filler('caches')}
      <dl><dt id="CFG-BLOCK-CACHE">block_cache (integer)</dt><dd>${filler('the block cache')}</dd>
      <dt id="CFG-EVICTION-DELAY">eviction_delay (integer)</dt><dd><p>Sets how long an unused page stays cached before eviction. The default eviction delay is 30 seconds.</p><script>document.title = 'pwned'</script></dd></dl></div></body></html>`,
    );
    await page.goto(demo.url);
    await page.click('#tab-documents');
    await page.setInputFiles('#upload-input', file);
    await page.click('#upload-button');
    await expect.poll(() => page.textContent('#documents-body'), { timeout: 60_000 }).toContain('cache-settings.html');

    await page.click('#tab-ask');
    await page.fill('#question', 'What is the default eviction delay?');
    await page.click('#ask-button');
    await expect.poll(() => page.getAttribute('#answer', 'data-state'), { timeout: 60_000 }).toBe('answered');
    expect(await page.locator('#sources-list .source').first().textContent()).toContain('§ eviction_delay (integer)');
    const chip = page.locator('#answer .citation-chip[data-anchor="CFG-EVICTION-DELAY"]').first();
    await chip.waitFor({ timeout: 10_000 });
    expect(await chip.textContent()).toBe('cache-settings.html § eviction_delay (integer)');
    await shot(page, '5-html-answer');

    const [viewer] = await Promise.all([page.context().waitForEvent('page'), chip.click()]);
    await expect.poll(() => viewer.locator('body').getAttribute('data-section'), { timeout: 30_000 }).toBe('CFG-EVICTION-DELAY');
    expect(await viewer.textContent('#page-indicator')).toBe('§ eviction_delay (integer)');
    const heading = viewer.locator('.cited-heading');
    expect(await heading.textContent()).toBe('eviction_delay (integer)');
    // Scrolled to the section: its heading is on screen, the page's first heading is not.
    expect(await heading.evaluate((el) => el.getBoundingClientRect().top)).toBeLessThan(844);
    expect(await viewer.locator('.text-heading').first().evaluate((el) => el.getBoundingClientRect().bottom)).toBeLessThan(0);
    expect(await viewer.locator('.cited-section').last().textContent()).toContain('30 seconds');
    // Shown as text, never as the uploaded markup: its script did not run.
    expect(await viewer.title()).not.toBe('pwned');
    expect(await viewer.locator('#pager').isHidden()).toBe(true);
    await shot(viewer, '6-viewer-section');
    await viewer.close();
  }, 180_000);
});

/** A small two-page PDF about interrupt thresholds, as bytes. */
function thresholdPdf(): Uint8Array {
  return writeSimplePdf({
    title: 'Interrupt thresholds',
    pages: [
      { lines: [{ text: 'Overview', size: 18 }, 'The platform-level interrupt controller routes external interrupts to hart contexts.'] },
      { lines: [{ text: 'Thresholds', size: 18 }, 'Each hart context has a priority threshold register.', 'Only interrupt sources with a priority strictly greater than the threshold can notify the context.'] },
    ],
  });
}

/** Drags `file` over the page and drops it on `selector`, as a person dragging from a file manager would (DataTransfer events). */
async function dropFile(page: Page, selector: string, file: { name: string; bytes: Uint8Array; type: string }, { drop = true } = {}): Promise<void> {
  await page.evaluate(
    ({ selector, name, bytes, type, drop }) => {
      const target = document.querySelector(selector);
      if (!target) throw new Error(`no ${selector}`);
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], name, { type }));
      const fire = (kind: string): boolean => target.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: data }));
      fire('dragenter');
      fire('dragover');
      if (drop) fire('drop');
    },
    { selector, name: file.name, bytes: Array.from(file.bytes), type: file.type, drop },
  );
}

/** Whether the page scrolls sideways at its current width. */
const scrollsSideways = (page: Page): Promise<boolean> => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

describe.skipIf(!executablePath)('the web UI in Chromium on the offline profile, no model on disk, 375 px wide', () => {
  let demo: DemoOnFakes;
  let browser: Browser;
  let page: Page;
  const shot = async (name: string): Promise<void> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    demo = await startDemoOnFakes({ profile: 'offline' });
    browser = await chromium.launch({ executablePath: executablePath as string, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(demo.url);
    await page.waitForFunction(() => document.getElementById('active-profile')?.textContent === 'offline');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('takes a PDF dropped on the page: a visible drop target, progress through the stages, full only when done', async () => {
    // Every state the job's bar and stage go through, recorded as it changes.
    await page.evaluate(() => {
      const seen: Array<{ value: number; indeterminate: boolean; stage: string; state: string; status: string }> = [];
      Object.assign(window, { progressSeen: seen });
      new MutationObserver(() => {
        const bar = document.getElementById('upload-progress') as HTMLProgressElement | null;
        const job = bar?.closest<HTMLElement>('.upload-job');
        if (bar && job)
          seen.push({ value: bar.value, indeterminate: bar.position < 0, stage: job.dataset.stage ?? '', state: job.dataset.state ?? '', status: document.getElementById('upload-status')?.textContent ?? '' });
      }).observe(document.getElementById('upload-jobs') as HTMLElement, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const pdf = { name: 'thresholds.pdf', bytes: thresholdPdf(), type: 'application/pdf' };

    // Dragged over the Ask tab: the whole page is a drop target and says so.
    await dropFile(page, '#panel-ask', pdf, { drop: false });
    expect(await page.locator('#drop-overlay').isVisible()).toBe(true);
    expect(await page.textContent('#drop-overlay')).toMatch(/Drop the files/);
    expect(await page.locator('#upload-form.drop-active').count()).toBe(1);
    await shot('7-offline-drag-over');

    // Dropped: the overlay goes, the Documents tab opens with the job.
    await dropFile(page, '#panel-ask', pdf);
    expect(await page.locator('#drop-overlay').isVisible()).toBe(false);
    expect(await page.getAttribute('#tab-documents', 'aria-selected')).toBe('true');
    await expect.poll(() => page.textContent('#upload-summary'), { timeout: 60_000 }).toMatch(/thresholds\.pdf/);
    await expect.poll(() => page.textContent('#documents-body'), { timeout: 15_000 }).toContain('thresholds.pdf');

    const seen = (await page.evaluate(() => (window as unknown as { progressSeen: Array<{ value: number; indeterminate: boolean; stage: string; state: string; status: string }> }).progressSeen)).filter((s) => !s.indeterminate);
    const final = seen.at(-1);
    expect(final).toMatchObject({ value: 1, stage: 'done', state: 'done' });
    const before = seen.filter((s) => s.state !== 'done');
    expect(before.length).toBeGreaterThan(0);
    for (const s of before) expect(s.value).toBeLessThan(1);
    // The stages the server reports, named as they come (embedding has no model here, so no embed stage).
    expect(before.map((s) => s.stage)).toContain('extract');
    expect(before.map((s) => s.status).join('\n')).toMatch(/^Reading thresholds\.pdf · 1 of 1 file…$/m);
    await shot('8-offline-uploaded');
  }, 120_000);

  it('a dropped file of another type gets the file picker’s message and no job', async () => {
    const jobs = await page.locator('.upload-job').count();
    await dropFile(page, '#upload-form', { name: 'setup.exe', bytes: new Uint8Array([77, 90, 0, 1]), type: 'application/octet-stream' });
    expect(await page.textContent('#upload-error')).toBe('“setup.exe” is not a supported type: upload .pdf, .md, .markdown, .html, .htm, .txt files.');
    expect(await page.locator('.upload-job').count()).toBe(jobs);
  });

  it('answers with citations; the status line says what this installation runs: no fallback mark, no rerank scores', async () => {
    await page.click('#tab-ask');
    await page.fill('#question', 'Which interrupt sources can notify a hart context?');
    await page.click('#ask-button');
    await expect.poll(() => page.getAttribute('#answer', 'data-state'), { timeout: 60_000 }).toBe('answered');
    expect(await page.locator('#answer .citation-chip').count()).toBeGreaterThan(0);
    expect(await page.locator('#sources-list .source').count()).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('#status-line'), { timeout: 15_000 }).toContain('keyword retrieval — no embedder model on disk');
    const status = (await page.textContent('#status-line')) ?? '';
    expect(status).toContain('answer: extractive');
    expect(status).toContain('reranker: fused order — no reranker model on disk');
    expect(status).not.toMatch(/fallback|keyword keyword|fused-order fused-order/);
    expect(await page.locator('#status-line mark.fallback').count()).toBe(0);
    // No reranker scored the hits: fused scores only, no rerank bar.
    expect(await page.locator('#sources-list .source-score[data-kind="rerank"]').count()).toBe(0);
    expect(await page.locator('#sources-list .source-score[data-kind="score"]').count()).toBeGreaterThan(0);
    expect(await page.textContent('#sources-list')).not.toMatch(/rerank/);
    expect(await scrollsSideways(page)).toBe(false);
    await shot('9-offline-answer');

    // The chip opens the viewer with the quoted sentence highlighted on the drawn page (pdf.js text layer).
    const chip = page.locator('#answer .citation-chip').first();
    const cite = new URL((await chip.getAttribute('href')) as string, demo.url).searchParams.get('cite') ?? '';
    expect(cite).toMatch(/Only interrupt sources with a priority strictly greater than the threshold/);
    const [viewer] = await Promise.all([page.context().waitForEvent('page'), chip.click()]);
    await expect.poll(() => viewer.getAttribute('body', 'data-text-layer'), { timeout: 30_000 }).toBe('ready');
    const cited = (await viewer.locator('.textLayer mark.pdf-hl-cited').allTextContents()).join(' ').replace(/\s+/g, ' ');
    expect(cited).toContain('priority strictly greater than the threshold');
    expect(await viewer.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await viewer.screenshot({ path: join(ARTIFACTS, '9a-offline-viewer-cited.png'), fullPage: true });
    await viewer.close();
  }, 120_000);

  it('asks a follow-up with the previous turn (the question box says what it follows), and a new conversation starts clean', async () => {
    const bodies: Array<{ question: string; history?: Array<{ question: string; answer?: string }> }> = [];
    const record = (request: { url(): string; method(): string; postData(): string | null }): void => {
      if (request.method() === 'POST' && request.url().endsWith('/api/ask')) bodies.push(JSON.parse(request.postData() ?? '{}'));
    };
    page.on('request', record);
    try {
      expect(await page.locator('#conversation').isVisible()).toBe(true);
      expect(await page.textContent('#conversation-last')).toBe('Which interrupt sources can notify a hart context?');
      await page.fill('#question', 'What routes them?');
      await page.click('#ask-button');
      await expect.poll(() => page.getAttribute('#answer', 'data-state'), { timeout: 60_000 }).toBe('answered');
      expect(bodies.at(-1)?.history?.map((t) => t.question)).toEqual(['Which interrupt sources can notify a hart context?']);
      expect(bodies.at(-1)?.history?.[0]?.answer).toMatch(/threshold/i);
      expect(await page.textContent('#answer')).toMatch(/platform-level interrupt controller/i);
      expect(await page.textContent('#conversation-last')).toBe('What routes them?');
      expect(await page.locator('#conversation-turns li').allTextContents()).toEqual(['Which interrupt sources can notify a hart context?']);
      expect(await scrollsSideways(page)).toBe(false);
      await shot('9b-offline-follow-up');

      await page.click('#conversation-new');
      expect(await page.locator('#conversation').isVisible()).toBe(false);
      await page.fill('#question', 'Which register does each hart context have?');
      await page.click('#ask-button');
      await expect.poll(() => page.getAttribute('#answer', 'data-state'), { timeout: 60_000 }).toBe('answered');
      expect(bodies.at(-1)?.history).toBeUndefined();
    } finally {
      page.off('request', record);
    }
  }, 120_000);

  it('counts no errors for the models that are not installed, and the profile says they are not on disk', async () => {
    await page.click('#tab-dashboard');
    // The questions asked above: one, a follow-up, and one in a new conversation.
    await expect.poll(() => page.textContent('#total-questions'), { timeout: 15_000 }).toBe('3');
    const backends = (await page.textContent('#usage-backends tbody')) ?? '';
    expect(backends).not.toContain('transformersjs');
    const errors = await page.locator('#usage-backends tbody tr td:nth-child(3)').allTextContents();
    expect(errors.every((e) => e === '0')).toBe(true);
    expect(await scrollsSideways(page)).toBe(false);
    await shot('10-offline-dashboard');

    await page.click('#tab-profile');
    await page.locator('#profile-parts .badge-unavailable').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#profile-parts .badge-unavailable').count()).toBe(2);
    expect(await scrollsSideways(page)).toBe(false);
  });

  it('shows admin controls only after an admin signs in (masked token, kept for the tab, sent as a bearer token), and hides them at sign-out', async () => {
    await page.click('#tab-documents');
    await expect.poll(() => page.textContent('#documents-body')).toContain('thresholds.pdf');
    expect(await page.locator('.delete-document').count()).toBe(0);
    expect(await page.locator('#documents-actions-head').isVisible()).toBe(false);
    expect(await page.locator('#admin-open').isVisible()).toBe(true);

    await page.click('#admin-open');
    expect(await page.getAttribute('#admin-token', 'type')).toBe('password');
    expect(await scrollsSideways(page)).toBe(false);
    await shot('11-offline-sign-in');
    await page.fill('#admin-token', FAKE_ADMIN_TOKEN);
    await page.click('#admin-sign-in');
    await page.locator('.delete-document').first().waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('ragbridge.adminToken'))).toBe(FAKE_ADMIN_TOKEN);
    expect(await page.locator('#admin-signed-in').isVisible()).toBe(true);
    expect(await scrollsSideways(page)).toBe(false);
    await shot('12-offline-admin');

    // Delete: confirmed, sent with the token as a bearer token.
    page.once('dialog', (dialog) => void dialog.accept());
    const [request] = await Promise.all([page.waitForRequest((r) => r.method() === 'DELETE'), page.click('.delete-document')]);
    expect(request.headers().authorization).toBe(`Bearer ${FAKE_ADMIN_TOKEN}`);
    await expect.poll(() => page.textContent('#documents-notice')).toBe('Deleted “thresholds.pdf”.');
    await expect.poll(() => page.textContent('#documents-body')).not.toContain('thresholds.pdf');

    await page.click('#admin-sign-out');
    expect(await page.evaluate(() => sessionStorage.getItem('ragbridge.adminToken'))).toBeNull();
    expect(await page.locator('#admin-signed-in').isVisible()).toBe(false);
    expect(await page.locator('#admin-open').isVisible()).toBe(true);
  }, 60_000);

  it('a wrong admin token shows no admin controls for long: refused at sign-in, or by the first admin action, which signs out', async () => {
    await dropFile(page, '#upload-form', { name: 'second.pdf', bytes: thresholdPdf(), type: 'application/pdf' });
    await expect.poll(() => page.textContent('#documents-body'), { timeout: 60_000 }).toContain('second.pdf');
    await page.click('#admin-open');
    await page.fill('#admin-token', 'not-the-admin-token');
    await page.click('#admin-sign-in');
    await expect.poll(async () => (await page.locator('#admin-error').isVisible()) || (await page.locator('.delete-document').count()) > 0).toBe(true);
    if (await page.locator('.delete-document').count()) {
      // A server without the sign-in check: the token is tried by the first admin action.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.click('.delete-document');
      await expect.poll(() => page.textContent('#documents-error')).toMatch(/The admin token was not accepted\. Sign in again\./);
    } else {
      expect(await page.textContent('#admin-error')).toMatch(/not accepted/);
    }
    expect(await page.locator('.delete-document').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('ragbridge.adminToken'))).toBeNull();
    expect(await page.textContent('#documents-body')).toContain('second.pdf');
  }, 90_000);
});
