import type { IngestProgress } from '@ragbridge/pipeline';
import { displayPath } from './display-path.js';

/** Renders ingest progress: a bar on a terminal, one line per file otherwise. */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): (event: IngestProgress) => void {
  // Files by their path relative to the working folder: many folders hold a README.md.
  const shown = (source: string): string => displayPath(source);
  const tty = stream.isTTY === true;
  const started = performance.now();
  let chars = 0;
  return (event) => {
    if (event.type === 'scan') {
      stream.write(`Found ${event.files} file(s) to check.\n`);
      return;
    }
    if (event.type === 'pages') {
      // Within one long PDF: a terminal shows how far it got; a log gets the file's line when it is done.
      if (tty) {
        const name = shown(event.source);
        stream.write(`\r\x1b[2Kreading ${name.slice(-40)} · page ${event.page}/${event.pages}`);
      }
      return;
    }
    chars += event.chars;
    const name = shown(event.source);
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(chars / seconds / 1000) : 0;
    if (tty) {
      const width = 24;
      const filled = Math.round((event.index / Math.max(1, event.files)) * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      stream.write(`\r\x1b[2K${bar} ${event.index}/${event.files} files · ${rate}K chars/s · ${event.status} ${name.slice(-40)}`);
      if (event.index === event.files) stream.write('\n');
    } else {
      stream.write(`[${event.index}/${event.files}] ${event.status.padEnd(9)} ${name} (${event.pages} pages)\n`);
    }
  };
}

/**
 * Progress of a phase: one line rewritten in place on a terminal; in a pipe or a log, one line
 * when each phase is done (no carriage returns in files).
 */
export function createPhaseProgress(log: NodeJS.WritableStream): ((phase: string, done: number, total: number) => void) & { end(): void } {
  const tty = (log as NodeJS.WriteStream).isTTY === true;
  let open = false;
  const update = (phase: string, done: number, total: number): void => {
    if (tty) {
      log.write(`\r\x1b[2K${phase}: ${done}/${total}`);
      open = true;
    } else if (done === total) log.write(`${phase}: ${done}/${total} done\n`);
  };
  return Object.assign(update, {
    end(): void {
      if (open) log.write('\n');
      open = false;
    },
  });
}
