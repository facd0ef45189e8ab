import { describe, expect, it } from 'vitest';
import { StopSequenceBuffer } from './stop-sequences.js';

function feed(stops: string[], pieces: string[]): { shown: string[]; rest: string; stopped: boolean } {
  const buffer = new StopSequenceBuffer(stops);
  const shown = pieces.map((p) => buffer.push(p));
  return { shown, rest: buffer.end(), stopped: buffer.stopped };
}

describe('StopSequenceBuffer', () => {
  it('passes text straight through without stop sequences', () => {
    expect(feed([], ['Hello ', 'world'])).toEqual({ shown: ['Hello ', 'world'], rest: '', stopped: false });
  });

  it('holds back what could start a stop sequence until the next piece decides', () => {
    const { shown, rest, stopped } = feed(['END'], ['one E', 'N', 'D two']);
    expect(shown.join('') + rest).toBe('one ');
    expect(stopped).toBe(true);
  });

  it('releases held-back text that turned out not to be a stop sequence', () => {
    const { shown, rest, stopped } = feed(['END'], ['one E', 'ND? no: EN', 'Dless']);
    expect(shown.join('') + rest).toBe('one ');
    expect(stopped).toBe(true);
    const clean = feed(['END'], ['the E', 'nd is near']);
    expect(clean.shown.join('') + clean.rest).toBe('the End is near');
    expect(clean.stopped).toBe(false);
  });

  it('stops at the earliest of several stop sequences and ignores later text', () => {
    const buffer = new StopSequenceBuffer(['\n\n', 'Question:']);
    expect(buffer.push('Answer: 32 registers.\n\nQuestion: next')).toBe('Answer: 32 registers.');
    expect(buffer.push('more text')).toBe('');
    expect(buffer.end()).toBe('');
    expect(buffer.shown).toBe('Answer: 32 registers.');
  });

  it('never splits a surrogate pair across pieces', () => {
    const buffer = new StopSequenceBuffer(['xy']);
    const first = buffer.push('go 🚀');
    expect(first).toBe('go ');
    expect(buffer.end()).toBe('🚀');
  });
});
