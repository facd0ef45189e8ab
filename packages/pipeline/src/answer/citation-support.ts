import type { RetrievalHit } from '@ragbridge/core-interfaces';
import { analyze } from '../retrieval/text-analysis.js';

/** What {@link checkCitationSupport} changed in a generated answer. */
export interface CitationSupportCheck {
  /** The answer text with its citations corrected. */
  text: string;
  /** Citations moved to the source that holds the sentence (`from` did not, `to` does). */
  moved: Array<{ from: number; to: number }>;
  /** Citations removed because the cited source shares (almost) nothing with the sentence, and no other does. */
  removed: number[];
}

/** Thresholds of {@link checkCitationSupport}, as shares of a sentence's index terms found in a source. */
export interface CitationSupportOptions {
  /** A citation whose source holds at least this share is kept. @default 0.3 */
  keep?: number;
  /** Another source holding at least this share (and clearly more) takes the citation instead. @default 0.5 */
  move?: number;
  /** Below this share, with no source to move to, the citation is removed. @default 0.15 */
  remove?: number;
}

/**
 * Checks that each citation of a generated answer points at a source whose text holds the
 * sentence it ends: a sentence is judged by the share of its index terms (the analyzer's, so
 * stems and technical tokens match) found in the cited source. A citation to a source that does
 * not hold it moves to a source that clearly does; one to a source sharing almost nothing is
 * removed. Short sentences (fewer than three terms) are left as they are: too little to judge.
 */
export function checkCitationSupport(text: string, sources: readonly RetrievalHit[], options: CitationSupportOptions = {}): CitationSupportCheck {
  const keep = options.keep ?? 0.3;
  const move = options.move ?? 0.5;
  const remove = options.remove ?? 0.15;
  const sourceTerms = sources.map((hit) => new Set(analyze([...hit.chunk.sectionPath, hit.chunk.text].join('\n'))));
  const moved: CitationSupportCheck['moved'] = [];
  const removed: number[] = [];
  const support = (terms: readonly string[], n: number): number => {
    const held = sourceTerms[n - 1];
    return held && terms.length ? terms.filter((t) => held.has(t)).length / terms.length : 0;
  };
  let out = '';
  let last = 0;
  for (const group of citationGroups(text)) {
    const terms = [...new Set(analyze(claimBefore(text, group.start)))];
    out += text.slice(last, group.start);
    last = group.end;
    if (terms.length < 3) {
      out += text.slice(group.start, group.end);
      continue;
    }
    const kept: number[] = [];
    for (const n of group.numbers) {
      const own = support(terms, n);
      if (own >= keep) {
        kept.push(n);
        continue;
      }
      let best = 0;
      let bestSupport = 0;
      for (let m = 1; m <= sources.length; m++) {
        if (group.numbers.includes(m)) continue;
        const s = support(terms, m);
        if (s > bestSupport) {
          best = m;
          bestSupport = s;
        }
      }
      if (best > 0 && bestSupport >= move && bestSupport >= own + 0.25) {
        moved.push({ from: n, to: best });
        if (!kept.includes(best)) kept.push(best);
      } else if (own < remove) removed.push(n);
      else kept.push(n);
    }
    out += kept.length ? `${group.space}${kept.map((n) => `[${n}]`).join('')}` : '';
  }
  out += text.slice(last);
  return { text: out, moved, removed };
}

/** Runs of citation markers (`[1]`, `[2][3]`, with the space before them), in order. */
function citationGroups(text: string): Array<{ start: number; end: number; space: string; numbers: number[] }> {
  const groups: Array<{ start: number; end: number; space: string; numbers: number[] }> = [];
  for (const match of text.matchAll(/(\s?)((?:\[\d+\])+)/g)) {
    const start = match.index ?? 0;
    groups.push({ start, end: start + match[0].length, space: match[1] ?? '', numbers: [...(match[2] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0])) });
  }
  return groups;
}

/** The claim a citation at `position` ends: the sentence (or line) before it, without other citations. */
function claimBefore(text: string, position: number): string {
  // "… zero. [1]" and "… zero [1]." both cite the sentence ending at the period before or after.
  const before = text
    .slice(0, position)
    .replace(/\s?\[\d+\]/g, ' ')
    .replace(/[.!?]\s*$/, '');
  // A sentence ends at . ! or ? before a space (not inside `1.5` or `os.path`), or at a line break.
  let boundary = 0;
  for (const end of before.matchAll(/[.!?]\s+|\n/g)) boundary = (end.index ?? 0) + end[0].length;
  return before.slice(boundary);
}
