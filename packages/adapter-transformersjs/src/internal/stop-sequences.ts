/**
 * Cuts generated text at the first stop sequence while it streams. Text that could still turn
 * out to be the start of a stop sequence is held back until the next piece decides, so a
 * stream never shows a part of a stop sequence.
 */
export class StopSequenceBuffer {
  private text = '';
  private emitted = 0;
  private stopAt: number | undefined;
  private readonly holdBack: number;

  constructor(private readonly stops: readonly string[]) {
    this.holdBack = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** True once a stop sequence has appeared. */
  get stopped(): boolean {
    return this.stopAt !== undefined;
  }

  /** Adds generated text; returns the text that is now safe to show (maybe empty). */
  push(piece: string): string {
    if (this.stopAt !== undefined) return '';
    this.text += piece;
    const searchFrom = Math.max(0, this.emitted - this.holdBack);
    for (const stop of this.stops) {
      if (stop.length === 0) continue;
      const at = this.text.indexOf(stop, searchFrom);
      if (at >= 0 && (this.stopAt === undefined || at < this.stopAt)) this.stopAt = at;
    }
    const safeEnd = this.stopAt ?? Math.max(this.emitted, this.text.length - this.holdBack);
    return this.take(safeEnd);
  }

  /** Ends the text; returns what was still held back (nothing past a stop sequence). */
  end(): string {
    return this.take(this.stopAt ?? this.text.length);
  }

  /** Everything shown so far. */
  get shown(): string {
    return this.text.slice(0, this.emitted);
  }

  private take(end: number): string {
    // Never split a surrogate pair between two pieces.
    let cut = end;
    const code = this.text.charCodeAt(cut - 1);
    if (cut < this.text.length && code >= 0xd800 && code <= 0xdbff) cut--;
    if (cut <= this.emitted) return '';
    const out = this.text.slice(this.emitted, cut);
    this.emitted = cut;
    return out;
  }
}
