import { parseCitations } from './citations.js';

/** Longest bracket held back while waiting for its `]`: a citation is never longer (`[12, 13, 14-16]`). */
const MAX_PENDING = 24;

/** What a bracket's text may be while it still can become a citation: digits, separators, spaces. */
const CITATION_PREFIX = /^\[[\d\s,;–-]*$/;

/**
 * Cleans citations in streamed text as it arrives, so a reader never sees a citation that the
 * final answer removes: a `[` that may open a citation is held back until its `]` (or until it
 * cannot be one); a complete citation keeps only the source numbers in 1..sourceCount, and one
 * without any valid number is dropped with the space before it. Other text passes through at once.
 * The concatenated output equals what {@link parseCitations} makes of the whole text, except for
 * whitespace at the very ends.
 */
export class StreamingCitationCleaner {
  private pending = '';

  constructor(private readonly sourceCount: number) {}

  /** Text that can be shown now for this delta (possibly empty). */
  push(delta: string): string {
    let out = '';
    for (const ch of delta) {
      if (this.pending) {
        this.pending += ch;
        if (ch === ']') out += this.flushCitation();
        else if (!CITATION_PREFIX.test(this.pending.trimStart()) || this.pending.length > MAX_PENDING) {
          out += this.pending;
          this.pending = '';
        }
        continue;
      }
      if (ch === '[') this.pending = '[';
      // A space is held until the next character: it goes with a citation that is removed.
      else if (ch === ' ') this.pending = ' ';
      else out += ch;
    }
    return out;
  }

  /** What is still held back, at the end of the stream. */
  end(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  private flushCitation(): string {
    const text = this.pending;
    this.pending = '';
    const cleaned = parseCitations(text, this.sourceCount).text;
    if (cleaned === '') return '';
    return text.startsWith(' ') ? ` ${cleaned}` : cleaned;
  }
}
