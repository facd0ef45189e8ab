import type { Chunk } from '@ragbridge/core-interfaces';
import { stemmer } from 'stemmer';

/** English function words that carry no retrieval signal. */
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves ' +
    'also may might must shall us via per etc e.g i.e according'
  ).split(/\s+/),
);

/** A word as the index sees it: letters and digits, joined by `.`, `_`, `'` or `-` inside (`mstatus.MIE`, `v1.7`). Global: use with `matchAll`. */
export const TOKEN = /[\p{L}\p{N}]+(?:[._'-][\p{L}\p{N}]+)*/gu;

/** Unicode and typography normalisation applied before tokenizing: NFKC, one kind of dash, no soft hyphens. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\u00AD|\u200B|\u200C|\u200D|\uFEFF/g, '')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .toLowerCase();
}

function isPlainWord(token: string): boolean {
  return /^\p{L}+$/u.test(token);
}

const stems = new Map<string, string>();

/** The term of each plain token (letters and digits only) seen so far; `null` for a stopword. */
const plainTerms = new Map<string, string | null>();

/** The index form of a plain word: its Porter stem (memoised). Technical tokens stay as written. */
function termOf(token: string): string {
  if (token.endsWith("'s")) token = token.slice(0, -2);
  if (token.length <= 3 || !isPlainWord(token)) return token;
  let stem = stems.get(token);
  if (stem === undefined) {
    stem = stemmer(token);
    if (stems.size > 200_000) stems.clear();
    stems.set(token, stem);
  }
  return stem;
}

/**
 * Splits text into index terms so technical tokens stay findable: `config.MAX_SIZE`, `eth0-eth3`,
 * `0x7b0`, `utf8` and `IPv6` are kept whole *and* split into their parts (so `config` or
 * `MAX_SIZE` finds `config.MAX_SIZE`); "Version 1.7" is also indexed as `v1.7`; a hyphenated word is also indexed joined (`vali-dation` →
 * `validation`); plain words are stemmed (`registers` → `regist`); stopwords are dropped.
 */
export function analyze(text: string): string[] {
  const terms: string[] = [];
  let previous = '';
  for (const match of normalizeText(text).matchAll(TOKEN)) {
    const token = match[0];
    // Most tokens are plain (no `._'-`): their term depends on the token alone, so it is looked up
    // once and remembered (`null` = a stopword) instead of running the checks below every time.
    const known = plainTerms.get(token);
    if (known !== undefined) {
      previous = token;
      if (known !== null) terms.push(known);
      continue;
    }
    // A version: `v1.7` stays whole (not `v1` and `7`), and "Version 1.7" is also indexed as
    // `v1.7`, so either spelling finds the other without matching every number 1.7.
    if (/^v\d+(?:\.\d+)+$/.test(token)) {
      terms.push(token);
      continue;
    }
    if (previous === 'version' && /^\d+(?:\.\d+)+$/.test(token)) terms.push(`v${token}`);
    previous = token;
    const plain = !/[._'-]/.test(token);
    if (!plain && !/^\d+(\.\d+)+$/.test(token)) {
      const parts = token.split(/[._'-]+/).filter(Boolean);
      const whole = token.replace(/'s$/, '');
      if (parts.length > 1 && !STOPWORDS.has(whole)) terms.push(whole);
      if (token.includes('-') && parts.every(isPlainWord)) terms.push(termOf(parts.join('')));
      for (const part of parts) if (!STOPWORDS.has(part) && !(part.length === 1 && isPlainWord(part) && parts.length > 2)) terms.push(termOf(part));
      continue;
    }
    const term = STOPWORDS.has(token) ? null : termOf(token);
    // A number like `1.7` is not remembered: after "version" it also gives `v1.7`.
    if (plain) {
      if (plainTerms.size > 200_000) plainTerms.clear();
      plainTerms.set(token, term);
    }
    if (term !== null) terms.push(term);
  }
  return terms;
}

/** A chunk's index terms as ingestion stores them: those of its text, and those of its section path. */
export function chunkIndexTerms(chunk: Pick<Chunk, 'text' | 'sectionPath'>): { terms: string; headingTerms: string } {
  return { terms: analyze(chunk.text).join(' '), headingTerms: analyze(chunk.sectionPath.join(' ')).join(' ') };
}

/** Distinct query terms, in first-seen order. */
export function analyzeQuery(text: string): string[] {
  return [...new Set(analyze(text))];
}

/**
 * Query terms grouped by the word they came from: a compound like `page-table` or `Wi-Fi` gives
 * one group of alternatives (`page-table`, `pagetable`, `page`, `table`) that counts once when
 * scoring, instead of four separate matches.
 */
export function analyzeQueryGroups(text: string): string[][] {
  const groups: string[][] = [];
  const seen = new Set<string>();
  let previous = '';
  for (const match of normalizeText(text).matchAll(TOKEN)) {
    // Analyzed with the word before it, for "Version 1.7" → `v1.7`.
    const analyzed = analyze(`${previous === 'version' ? 'version ' : ''}${match[0]}`).slice(previous === 'version' ? 1 : 0);
    previous = match[0];
    const members = [...new Set(analyzed)].filter((t) => !seen.has(t));
    if (members.length === 0) continue;
    for (const t of members) seen.add(t);
    groups.push(members);
  }
  return groups;
}
