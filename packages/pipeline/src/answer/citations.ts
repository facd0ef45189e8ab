/** Citation numbers found in an answer, and the answer with invalid ones removed. */
export interface ParsedCitations {
  /** Valid source numbers, in order of first use. */
  used: number[];
  /** Numbers that match no source (out of range or invented), removed from `text`. */
  invalid: number[];
  text: string;
}

/**
 * Finds `[n]`, `[n, m]`, `[n-m]` and `[n][m]` citations, keeps those in 1..sourceCount and
 * removes the rest from the text (with the space before them).
 */
export function parseCitations(answer: string, sourceCount: number): ParsedCitations {
  const used: number[] = [];
  const invalid: number[] = [];
  const text = answer.replace(/\s?\[(\d+(?:\s*(?:[,;]|-|–)\s*\d+)*)\]/g, (whole, inner: string) => {
    const numbers: number[] = [];
    for (const part of inner.split(/\s*[,;]\s*/)) {
      const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
      if (range) {
        const from = Number(range[1]);
        const to = Number(range[2]);
        for (let n = from; n <= to && n - from < 20; n++) numbers.push(n);
      } else numbers.push(Number(part));
    }
    const valid = numbers.filter((n) => Number.isInteger(n) && n >= 1 && n <= sourceCount);
    for (const n of numbers) if (!valid.includes(n) && !invalid.includes(n)) invalid.push(n);
    for (const n of valid) if (!used.includes(n)) used.push(n);
    if (valid.length === 0) return '';
    const lead = whole.startsWith(' ') ? ' ' : '';
    return `${lead}${valid.map((n) => `[${n}]`).join('')}`;
  });
  return { used, invalid, text: text.replace(/ {2,}/g, ' ').trim() };
}
