import { describe, expect, it } from 'vitest';
import { createProgressReporter } from './progress.js';

function stream(tty: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY: tty, text: '', write: (chunk: string) => ((s.text += chunk), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('ingest progress', () => {
  it('shows the pages of a long PDF on a terminal, and only whole files in a log', () => {
    const events = [
      { type: 'scan', files: 1 },
      { type: 'pages', source: '/docs/manual.pdf', page: 120, pages: 400 },
      { type: 'pages', source: '/docs/manual.pdf', page: 400, pages: 400 },
      { type: 'file', source: '/docs/manual.pdf', index: 1, files: 1, status: 'added', pages: 400, chars: 900_000 },
    ] as const;
    const terminal = stream(true);
    const log = stream(false);
    const shown = createProgressReporter(terminal);
    for (const e of events) shown(e);
    const logged = createProgressReporter(log);
    for (const e of events) logged(e);
    // Outside the working folder a file is shown by its full path (many folders hold a README.md).
    expect(terminal.text).toContain('reading /docs/manual.pdf · page 120/400');
    expect(terminal.text).toContain('page 400/400');
    expect(log.text).toBe('Found 1 file(s) to check.\n[1/1] added     /docs/manual.pdf (400 pages)\n');
    expect(log.text).not.toMatch(/NaN|undefined/);
  });
});
