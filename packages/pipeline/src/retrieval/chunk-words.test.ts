import { describe, expect, it } from 'vitest';
import { ChunkWords, surfaceWords } from './chunk-words.js';

function jaccard(a: string, b: string): number {
  const grams = (t: string): Set<string> => {
    const w = surfaceWords(t);
    return new Set(w.slice(0, -2).map((x, i) => `${x} ${w[i + 1]} ${w[i + 2]}`));
  };
  const x = grams(a);
  const y = grams(b);
  let shared = 0;
  for (const g of x) if (y.has(g)) shared++;
  return x.size && y.size ? shared / (x.size + y.size - shared) : 0;
}

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ChunkWords', () => {
  it('decides "Jaccard above t" exactly as a set computation does, for texts of every overlap', () => {
    const rand = random(7);
    const vocabulary = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const base = Array.from({ length: 200 }, () => vocabulary[Math.floor(rand() * vocabulary.length)]).join(' ');
    const words = new ChunkWords();
    let above = 0;
    for (let i = 0; i < 300; i++) {
      // Replace a varying share of the words to get every degree of overlap.
      const share = rand() * 0.3;
      const other = base
        .split(' ')
        .map((w) => (rand() < share ? vocabulary[Math.floor(rand() * vocabulary.length)] : w))
        .join(' ');
      for (const t of [0.5, 0.8]) {
        const expected = jaccard(base, other) > t;
        if (expected) above++;
        expect(words.similarAbove({ id: 'base', text: base }, { id: `o${i}`, text: other }, t)).toBe(expected);
      }
    }
    expect(above).toBeGreaterThan(50);
    expect(above).toBeLessThan(550);
  });

  it('keeps word ids consistent when the cache fills up mid-way', () => {
    const words = new ChunkWords(3);
    const chunks = Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, text: `alpha beta gamma delta ${i}` }));
    const sequences = words.passageWords(chunks);
    const { trigrams } = words.questionTrigrams('beta gamma delta');
    const [beta, gamma, delta] = [...trigrams.entries()].flatMap(([first, list]) => list.map(([b, c]) => [first, b, c]))[0]!;
    for (const sequence of sequences) expect([...sequence.slice(1, 4)]).toEqual([beta, gamma, delta]);
    expect(words.similarAbove(chunks[0]!, { id: 'copy', text: chunks[0]!.text }, 0.8)).toBe(true);
  });
});
