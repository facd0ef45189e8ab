/**
 * What the viewer highlights, and where: the question's words, and the sentences a citation
 * points at, found in a PDF page's text as pdf.js splits it into positioned pieces ("items", one
 * `<span>` each in the text layer). A sentence often runs over several items and lines, so the
 * matching works on the page's text joined from its items (whitespace collapsed, line ends as
 * spaces, words hyphenated at a line end joined again) and maps what it finds back to character
 * ranges of the items.
 *
 * No DOM here except `markTextLayer`, so the matching is tested without a browser.
 */

const STOPWORDS = new Set(
  'the and for are was were what which who whom whose how why when where does did doing done with that this these those from into about have has had can could should would will not you your its our their they them there than then any all but per via also more most some such only over under between after before been being other just like'.split(
    ' '
  )
);

/** Words of a question worth highlighting: three letters or more, common words left out, longest first. */
export function questionTerms(text) {
  const words =
    String(text ?? '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 3 && !STOPWORDS.has(w)))].sort((a, b) => b.length - a.length);
}

/**
 * A pattern matching whole words that start with one of `terms` ("index" also marks
 * "indexing"); null without terms. The terms are letters and digits only, so need no escaping.
 */
export function termPattern(terms) {
  return terms.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.join('|')})[\\p{L}\\p{N}]*`, 'giu') : null;
}

/** A "sentence" longer than this (a table, a list without full stops) is taken line by line. */
const MAX_SENTENCE_CHARS = 320;
/** Sentences marked as cited besides the best one must score at least this share of it. */
const CITED_SHARE = 0.75;
/** At most this many sentences are marked as cited. */
const MAX_CITED_SENTENCES = 3;
/** A font size change across a line end by more than this factor starts a new sentence (a heading). */
const HEADING_SIZE_RATIO = 1.15;

/**
 * @typedef {{ str?: string, hasEOL?: boolean, height?: number }} TextItem
 *   A pdf.js text content item (marked-content entries, without `str`, are skipped).
 * @typedef {{ text: string, item: Int32Array, offset: Int32Array, lineEnds: Set<number>, breaks: Set<number> }} PageText
 *   The page's text; `item[i]` / `offset[i]` say which item and which character of its `str`
 *   `text[i]` came from (-1 for a space put in at a line end). `lineEnds` holds the positions of
 *   those spaces; `breaks` those where the font size changes (a heading ends).
 * @typedef {{ start: number, end: number, kind: 'best' | 'cited' | 'term' }} TextRange
 *   `best`: the best-matching sentence (also cited); `cited`: a cited sentence; `term`: a word of the question.
 */

/** Joins the page's items into one searchable text with a map back to the items (see {@link PageText}). */
export function pageText(items) {
  let text = '';
  /** @type {number[]} */
  const item = [];
  /** @type {number[]} */
  const offset = [];
  const lineEnds = new Set();
  const breaks = new Set();
  /** The whitespace not yet written out (item and offset), collapsed to one space. */
  let space = null;
  /** The line end not yet written out: whether the line ended in a hyphen, and its font height. */
  let lineEnd = null;
  let lastHeight = 0;
  const push = (ch, i, j) => {
    text += ch;
    item.push(i);
    offset.push(j);
  };
  let index = -1;
  for (const raw of items) {
    if (typeof raw?.str !== 'string') continue;
    index++;
    const str = raw.str;
    const height = Number(raw.height) || 0;
    for (let j = 0; j < str.length; j++) {
      const ch = str[j];
      if (/\s/.test(ch)) {
        if (text.length > 0 && !space) space = { i: index, j };
        continue;
      }
      if (lineEnd) {
        if (lineEnd.hyphen && /\p{Ll}/u.test(ch)) {
          // "inter-" at a line end, "rupt" on the next: one word.
          text = text.slice(0, -1);
          item.pop();
          offset.pop();
        } else {
          lineEnds.add(text.length);
          if (
            lineEnd.height &&
            height &&
            Math.max(lineEnd.height, height) / Math.min(lineEnd.height, height) > HEADING_SIZE_RATIO
          )
            breaks.add(text.length);
          push(' ', -1, -1);
        }
        lineEnd = null;
      } else if (space) push(' ', space.i, space.j);
      space = null;
      push(ch, index, j);
      if (height) lastHeight = height;
    }
    if (raw.hasEOL && text.length > 0 && !lineEnd) lineEnd = { hyphen: /\p{L}-$/u.test(text), height: lastHeight };
  }
  return { text, item: Int32Array.from(item), offset: Int32Array.from(offset), lineEnds, breaks };
}

/**
 * The page's sentences as ranges of its text: split after `.`, `!` or `?` (and closing quotes or
 * brackets) followed by a space and a capital, digit or opening quote; at a heading; and line by
 * line where a sentence would be longer than {@link MAX_SENTENCE_CHARS}.
 */
export function sentenceRanges(page) {
  const { text } = page;
  const ranges = [];
  let start = 0;
  const close = (end) => {
    if (end > start) ranges.push(...splitLong(page, start, end));
    start = end + 1;
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== ' ') continue;
    if (
      page.breaks.has(i) ||
      (/[.!?]["'”’)\]]*$/u.test(text.slice(Math.max(start, i - 4), i)) &&
        /^["'“‘([]?[\p{Lu}\p{N}]/u.test(text.slice(i + 1, i + 3)))
    )
      close(i);
  }
  close(text.length);
  return ranges;
}

function splitLong(page, start, end) {
  if (end - start <= MAX_SENTENCE_CHARS) return [{ start, end }];
  const out = [];
  let from = start;
  for (let i = start; i < end; i++) {
    if (page.lineEnds.has(i)) {
      if (i > from) out.push({ start: from, end: i });
      from = i + 1;
    }
  }
  if (end > from) out.push({ start: from, end });
  return out;
}

/** Letters and digits of `text`, lower-cased, with each one's position in `text`: what a quote is looked up by. */
function lettersOf(text) {
  let key = '';
  const at = [];
  for (const match of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0].toLowerCase();
    // Lower-casing can lengthen a word (rarely); the positions then point at its start.
    for (let k = 0; k < word.length; k++) at.push((match.index ?? 0) + Math.min(k, match[0].length - 1));
    key += word;
  }
  return { key, at };
}

/**
 * Where the quoted `cite` text is on the page, as ranges of its text: the whole quote, or each of
 * its sentences that is found. Compared on letters and digits only, so spacing, hyphenation and
 * punctuation do not matter; a trailing `…` (a shortened quote) is dropped with its cut word.
 */
export function findQuote(page, cite) {
  const quote = String(cite ?? '')
    .replace(/\s*\S*…\s*$/u, '')
    .trim();
  if (!quote) return [];
  const letters = lettersOf(page.text);
  const locate = (part) => {
    const { key } = lettersOf(part);
    if (key.length < 12) return undefined;
    const found = letters.key.indexOf(key);
    if (found < 0) return undefined;
    return {
      start: letters.at[found],
      end: letters.at[found + key.length - 1] + 1,
      kind: /** @type {const} */ ('cited'),
    };
  };
  const whole = locate(quote);
  if (whole) return [whole];
  const parts = quote.split(/(?<=[.!?])\s+/u);
  return parts.map(locate).filter((r) => r !== undefined);
}

/**
 * The sentences that best answer `terms`: each scores the rarity-weighted count of the distinct
 * terms it holds. The best needs two terms (one when the question has one); others within
 * {@link CITED_SHARE} of it join, up to {@link MAX_CITED_SENTENCES}, best first.
 */
export function bestSentences(page, terms) {
  const pattern = termPattern(terms);
  if (!pattern) return [];
  const sentences = sentenceRanges(page).map((range) => {
    const found = new Set();
    for (const match of page.text.slice(range.start, range.end).matchAll(pattern)) {
      const word = match[0].toLowerCase();
      const term = terms.find((t) => word.startsWith(t));
      if (term) found.add(term);
    }
    return { ...range, found };
  });
  const df = new Map();
  for (const s of sentences) for (const t of s.found) df.set(t, (df.get(t) ?? 0) + 1);
  const weight = (t) => Math.log(1 + sentences.length / (df.get(t) ?? 1));
  const scored = sentences.map((s) => ({ ...s, score: [...s.found].reduce((sum, t) => sum + weight(t), 0) }));
  const needed = Math.min(2, terms.length);
  const ranked = scored.filter((s) => s.found.size >= needed).sort((a, b) => b.score - a.score || a.start - b.start);
  const best = ranked[0];
  if (!best) return [];
  return ranked
    .filter((s) => s.score >= best.score * CITED_SHARE)
    .slice(0, MAX_CITED_SENTENCES)
    .map((s) => ({ start: s.start, end: s.end, kind: /** @type {const} */ ('cited') }));
}

/** Each match of the question's words in the page's text. */
export function termRanges(page, terms) {
  const pattern = termPattern(terms);
  if (!pattern) return [];
  return [...page.text.matchAll(pattern)].map((m) => ({
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
    kind: /** @type {const} */ ('term'),
  }));
}

/**
 * What to highlight on a page: the quoted sentences when `cite` is given and found, else the
 * sentences that best match the question; and every match of the question's words.
 * `citedBy` says which (`quote`, `question`, or null when nothing is cited); `quoteMissing` is
 * true when a quote was given but is not on the page.
 */
export function pageHighlights(page, { terms = [], cite = '' } = {}) {
  const quoted = cite ? findQuote(page, cite) : [];
  const cited = quoted.length ? quoted : bestSentences(page, terms);
  const words = termRanges(page, terms);
  const inCited = (r) => cited.some((c) => r.start < c.end && r.end > c.start);
  return {
    cited,
    terms: words,
    /** Matches of the question's words outside the cited sentences. */
    otherTerms: words.filter((r) => !inCited(r)).length,
    citedBy: quoted.length ? 'quote' : cited.length ? 'question' : null,
    quoteMissing: Boolean(cite) && !quoted.length,
  };
}

/** Highlight kinds as bits, so a word of the question inside a cited sentence is both. */
const BIT = { term: 1, cited: 2, best: 4 };

/**
 * The ranges as runs of characters of each item: `Map<item, Array<{ from, to, bits }>>`, `bits`
 * holding which kinds of highlight cover the run.
 */
export function itemRuns(page, ranges) {
  /** @type {Map<number, Uint8Array>} */
  const flags = new Map();
  /** @type {Map<number, number>} */
  const lengths = new Map();
  for (let i = 0; i < page.item.length; i++)
    if (page.item[i] >= 0) lengths.set(page.item[i], Math.max(lengths.get(page.item[i]) ?? 0, page.offset[i] + 1));
  for (const range of ranges) {
    for (let p = range.start; p < range.end; p++) {
      const it = page.item[p];
      if (it < 0) continue;
      let bits = flags.get(it);
      if (!bits) flags.set(it, (bits = new Uint8Array(lengths.get(it) ?? 0)));
      bits[page.offset[p]] |= BIT[range.kind];
    }
  }
  const runs = new Map();
  for (const [it, bits] of flags) {
    const list = [];
    for (let j = 0; j < bits.length; ) {
      let k = j + 1;
      while (k < bits.length && bits[k] === bits[j]) k++;
      if (bits[j]) list.push({ from: j, to: k, bits: bits[j] });
      j = k;
    }
    runs.set(it, list);
  }
  return runs;
}

/**
 * Wraps the highlighted runs of the text layer's spans in `<mark>`s (`pdf-hl`, plus `pdf-hl-cited`
 * for a cited sentence, `pdf-hl-best` for the best one and `pdf-hl-term` for a word of the
 * question); the span gets `pdf-hl-line`. `spans[i]` is the span of
 * item `i`, as pdf.js's `TextLayer.textDivs` lists them. Returns the marks in page order.
 */
export function markTextLayer(spans, page, ranges) {
  const marks = [];
  const runs = itemRuns(page, ranges);
  for (const it of [...runs.keys()].sort((a, b) => a - b)) {
    const span = spans[it];
    if (!span) continue;
    const str = span.textContent ?? '';
    const parts = [];
    let last = 0;
    for (const run of runs.get(it) ?? []) {
      if (run.from > last) parts.push(str.slice(last, run.from));
      const mark = document.createElement('mark');
      mark.className = 'pdf-hl';
      if (run.bits & (BIT.cited | BIT.best)) mark.classList.add('pdf-hl-cited');
      if (run.bits & BIT.best) mark.classList.add('pdf-hl-best');
      if (run.bits & BIT.term) mark.classList.add('pdf-hl-term');
      mark.textContent = str.slice(run.from, run.to);
      parts.push(mark);
      marks.push(mark);
      last = run.to;
    }
    if (last < str.length) parts.push(str.slice(last));
    span.replaceChildren(...parts);
    span.classList.add('pdf-hl-line');
  }
  return marks;
}
