import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimplePdf } from '@ragbridge/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from './__fixtures__/chromium.js';
import { startDemoOnFakes, type DemoOnFakes } from './__fixtures__/demo-on-fakes.js';

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
