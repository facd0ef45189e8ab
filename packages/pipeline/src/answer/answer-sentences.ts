/** One quotable piece of a passage: a sentence, a list item, a table row, or a label (a heading or caption fragment). */
export interface AnswerSentence {
  /**
   * The text as an answer quotes it: whitespace collapsed, footnote markers and bracketed reference
   * numbers dropped, words broken at a line-end hyphen joined again.
   */
  text: string;
  /**
   * `row`: a table row (cells separated by ` | `); `label`: a heading, caption or other short line
   * without sentence punctuation; `fragment`: the end of a sentence that began before the passage, or
   * the start of one the passage cuts off.
   */
  kind: 'sentence' | 'row' | 'label' | 'fragment';
  /** For a row: the header row of its table, when one is recognisable. */
  header?: string;
  /** Whether it is (or begins) an item of a list (a line opened by a bullet or an enumerator). */
  listItem?: boolean;
  /** Order in the passage, from 0. */
  position: number;
}

/** Options of {@link splitAnswerSentences}. */
export interface AnswerSentenceOptions {
  /**
   * The text around the passage (the other passages and the question, say): a word broken at a
   * line-end hyphen and glued by extraction (`informa-tion`) is joined when the joined spelling
   * occurs there at least as often as the hyphenated one (a real compound like `well-known`
   * looks the same). Without it only breaks followed by a space or a line break (`vali- dation`) are
   * joined, and then unless the hyphenated spelling occurs in the passage more often than the joined one.
   */
  context?: string;
}

/**
 * Abbreviations after which a period never ends a sentence (Latin and scholarly shorthands, titles).
 * Lower-case, without the final period.
 */
const ABBREVIATIONS = new Set([
  'e.g',
  'i.e',
  'cf',
  'vs',
  'viz',
  'al',
  'approx',
  'resp',
  'ca',
  'incl',
  'esp',
  'dr',
  'mr',
  'mrs',
  'ms',
  'prof',
  'st',
]);

/** Abbreviations that precede a number or label (`Fig. 3`, `Sec. II`, `Vol. 2`): a period after them does not end a sentence before one. */
const REFERENCE_ABBREVIATIONS = new Set([
  'fig', 'figs', 'sec', 'secs', 'sect', 'vol', 'vols', 'no', 'nos', 'eq', 'eqs', 'ch', 'chap', 'p', 'pp', 'ref', 'refs', 'tab', 'art', 'para', 'app', 'ed', 'eds', 'rev', 'ver',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
]); // prettier-ignore

/** Words a suspended hyphen is followed by ("single- and double-precision"): the hyphen and space stay. */
const SUSPENDED_HYPHEN_FOLLOWERS = new Set(['and', 'or', 'nor', 'to', 'through', 'vs', 'versus', 'as']);

/** Words a line never ends with when the sentence goes on (so a break after them is a wrap, not a label's end). */
const CONTINUING_WORDS = new Set(
  'a an the of in on at to for from by with as and or nor but is are was were be been that which whose whether than its their this these each every into onto via per when where if'.split(
    ' '
  )
);

/** Capitalised words that open a footnote's text after its number ("12 See…", "3 The…"), never a counted noun. */
const FOOTNOTE_OPENERS = new Set([
  ...CONTINUING_WORDS,
  'see',
  'note',
  'it',
  'we',
  'there',
  'some',
  'all',
  'any',
  'most',
  'many',
  'such',
  'our',
]);

/** A figure, table or listing caption ("Figure 2.2: …", "Table 3. …"): a label, not an answer. */
const CAPTION = /^(?:Figure|Fig\.|Table|Listing|Algorithm)\s+[\dA-Z][\d.]*[a-z]?\s*[:.]/;

/** Words after which a bracketed reference is the object of the phrase ("see [3]"), so it stays. */
const REFERENCE_OBJECT_WORDS = new Set([...CONTINUING_WORDS, 'see', 'cf.', 'also', 'and', 'in']);

const LIST_ITEM = /^\s*(?:[•◦▪‣*–-]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\([ivx]+\))\s+/u;
const SUPERSCRIPT_MARKER = /(?<=\p{P}|\p{L}{3})[⁰¹²³⁴⁵⁶⁷⁸⁹]+(?=[\s\p{P}]|$)/gu;
/** A sentence end: punctuation, closing quotes or brackets, an optional footnote marker, then space before a word, digit or opening mark. */
const SENTENCE_END = /([.!?…]+)(["'”’)\]]*)(\d{1,2}|\[\d+(?:\s*[,–-]\s*\d+)*\])?\s+(?=["'“‘([]?[\p{L}\d•])/gu;
const REFERENCE_NUMBERS = /(?<=(?:^|\s)(\S*))\s+\[\d+(?:\s*[,–-]\s*\d+)*\](?=[\s.,;:!?)]|$)/gu;
const CODE_LIKE = /[{};]\s*$|=>|^\s*(?:import|export|const|let|function|def|return)\b|\bfrom\s+['"]|\(\*|\*\)|^\s*\/\//;

/** How often `word` occurs in lower-cased `lower` as a whole word (not inside a longer word or hyphenated compound). */
function occurrences(lower: string, word: string): number {
  const target = word.toLowerCase();
  const isWordChar = (i: number): boolean => i >= 0 && i < lower.length && /[\p{L}\p{N}-]/u.test(lower[i] as string);
  let n = 0;
  for (let at = lower.indexOf(target); at >= 0; at = lower.indexOf(target, at + target.length)) {
    if (!isWordChar(at - 1) && !isWordChar(at + target.length)) n++;
  }
  return n;
}

/** Whether a line is a table row: cells separated by ` | ` (as extraction writes tables), or a Markdown `| a | b |` row. */
export function isTableRow(line: string): boolean {
  const trimmed = line.trim();
  return /\s\|\s/.test(trimmed) || (/^\|.+\|$/.test(trimmed) && trimmed.length > 2);
}

/**
 * Whether a sentence is an entry of a reference list: it opens with a reference number (`[94] …`), or
 * has a year with pages, a volume, proceedings, a journal, a DOI, an ISBN or a URL.
 */
export function looksLikeReferenceEntry(sentence: string): boolean {
  if (/^\[\d+\]\s/.test(sentence)) return true;
  return (
    /\b(?:1[89]|20)\d{2}\b/.test(sentence) &&
    /\b(?:pp?\.\s?\d|vol\.\s?\d|proceedings|proc\.|journal|conference|press|doi|arxiv|isbn)|https?:\/\//i.test(sentence)
  );
}

/** Whether a line reads as program code rather than prose or a table row. */
export function looksLikeCode(line: string): boolean {
  return CODE_LIKE.test(line);
}

function cellsOf(row: string): string[] {
  return row
    .trim()
    .replace(/^\|\s*|\s*\|$/g, '')
    .split(/\s*\|\s*/)
    .map((cell) => cell.replace(/\s+/g, ' ').trim());
}

/** A header row names columns: every cell has letters, none is a number or code, and each is short. */
function isHeaderLike(cells: readonly string[]): boolean {
  return (
    cells.length >= 2 &&
    cells.every(
      (cell) =>
        /\p{L}/u.test(cell) &&
        !/^(?:0x[\da-f]+|0b[01]+|[\d.,:\s–-]+)$/i.test(cell) &&
        cell.split(' ').length <= 5 &&
        !/[.;]$/.test(cell)
    )
  );
}

/** Joins words broken at a line-end hyphen; keeps real compounds and suspended hyphens ("single- and double-"). */
function joinWrappedWords(text: string, context: string | undefined): string {
  let haystack: string | undefined;
  const count = (word: string): number => occurrences((haystack ??= (context ?? text).toLowerCase()), word);
  // Matched from the hyphen (a pattern starting with the word before it would be tried at every letter).
  return text.replace(
    /-( *\n\s*| +)?(\p{L}+)(-?)/gu,
    (whole, space: string | undefined, right: string, nextHyphen: string, offset: number) => {
      let start = offset;
      while (start > 0 && /[\p{L}\d]/u.test(text[start - 1] as string)) start--;
      const left = text.slice(start, offset);
      const last = left.at(-1) ?? '';
      if (!left || !/^\p{Ll}/u.test(right)) return whole;
      if (space !== undefined) {
        // After a digit or capital the hyphen belongs to a compound ("64- bit", "USB- powered"): drop the space only.
        if (!/\p{Ll}/u.test(last)) return `-${right}${nextHyphen}`;
        if (SUSPENDED_HYPHEN_FOLLOWERS.has(right.toLowerCase())) return whole;
        // Only an attested compound keeps its hyphen; a plain wrap ("vali- dation") is one word.
        return `${count(`${left}-${right}`) > count(`${left}${right}`) ? '-' : ''}${right}${nextHyphen}`;
      }
      // A hyphen already glued by extraction ("informa-tion"): joined only when the joined word is at least as
      // common around it, since a real compound ("well-known") looks the same.
      if (
        context === undefined ||
        nextHyphen ||
        text[start - 1] === '-' ||
        !/^\p{L}+$/u.test(left) ||
        !/\p{Ll}/u.test(last)
      )
        return whole;
      const joined = count(`${left}${right}`);
      return joined > 0 && joined >= count(`${left}-${right}`) ? right : whole;
    }
  );
}

/** The text after the last whitespace (a scan from the end: a `\S*$` pattern would rescan long text from every position). */
function lastToken(text: string): string {
  let i = text.length;
  while (i > 0 && !/\s/.test(text[i - 1] as string)) i--;
  return text.slice(i);
}

/** Whether a period after `token` is part of an abbreviation rather than a sentence end, given the text after it. */
function isAbbreviation(token: string, following: string): boolean {
  const word = token.replace(/^[("'“‘[]+/u, '').toLowerCase();
  if (ABBREVIATIONS.has(word) || /^(?:\p{L}\.)+\p{L}$/u.test(word)) return true;
  return REFERENCE_ABBREVIATIONS.has(word) && /^(?:\d|[IVXLC]+\b|\p{Lu}(?:[.\d]|$))/u.test(following);
}

/**
 * Removes bracketed reference numbers (`[12]`, `[3, 4]`) after a word ("as shown by Smith [12].", but not
 * "see [3]" or "In [12],", where the reference is the object) and a footnote marker left at the end (`bits.1`).
 */
function cleanSentence(text: string): string {
  return (
    (
      text.includes('[')
        ? text.replace(REFERENCE_NUMBERS, (whole, word: string) =>
            REFERENCE_OBJECT_WORDS.has(word.toLowerCase()) ? whole : ''
          )
        : text
    )
      .replace(/(?<=\p{L}[.!?]["'”’)]*)\d{1,2}$/u, '')
      // A footnote's number before its text ("42 In the review…"): no count stands before a capitalised function word.
      .replace(/^\d{1,3}\s+(?=(\p{Lu}\p{Ll}*)\s)/u, (marker, word: string) =>
        FOOTNOTE_OPENERS.has(word.toLowerCase()) ? '' : marker
      )
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** Splits a paragraph (lines already joined) into sentences. */
function splitParagraph(paragraph: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  for (const match of paragraph.matchAll(SENTENCE_END)) {
    const end = match.index;
    const [whole, punctuation = '', closing = '', marker] = match;
    const before = paragraph.slice(start, end);
    const after = paragraph.slice(end + whole.length, end + whole.length + 12);
    const token = lastToken(before);
    const previousChar = before.at(-1) ?? '';
    if (marker !== undefined) {
      // "bits.1 The" or "value.[3] See" is a footnote after a word; "3.1 The", "v1.7 The" or "Fig.1 The" is a number.
      if (!/[\p{L})\]"'”’]/u.test(previousChar) || isAbbreviation(token, marker) || !/^["'“‘(]?\p{Lu}/u.test(after))
        continue;
    } else if (punctuation === '.' && !closing && isAbbreviation(token, after)) continue;
    // A lower-case start ends a sentence only before a lower-case identifier ("bits. sysctl sets it"), never
    // before a function word ("etc. and") or after a short token ("p. the").
    if (
      /^\p{Ll}/u.test(after) &&
      (marker !== undefined || token.length < 4 || CONTINUING_WORDS.has(/^\p{L}+/u.exec(after)?.[0] ?? ''))
    )
      continue;
    // A lone enumerator ("1. The first") opens an item rather than ending a sentence.
    if (!before.trim() || (/^\(?[\dA-Za-z]{1,2}$/.test(before.trim()) && punctuation === '.')) continue;
    sentences.push(paragraph.slice(start, end + punctuation.length + closing.length));
    start = end + whole.length;
  }
  sentences.push(paragraph.slice(start));
  return sentences.map(cleanSentence).filter(Boolean);
}

/** Whether a line break inside prose continues the sentence (a wrap) rather than ending a line of its own. */
function continuesAfterBreak(previous: string, next: string): boolean {
  const end = previous.trimEnd();
  const finished = /[.!?]["'”’)]*$/u.test(end) && !isAbbreviation(lastToken(end).replace(/\.$/, ''), next);
  if (/^\p{Ll}/u.test(next) && !LIST_ITEM.test(next)) return !finished;
  const lastWord = lastToken(end).toLowerCase();
  return /[,(]$/.test(end) || CONTINUING_WORDS.has(lastWord);
}

/** How a finished piece of prose is classed: a fragment starts with a lower-case function word (the passage began mid-sentence). */
function classify(sentence: string, isItem: boolean, first: boolean): AnswerSentence['kind'] {
  const words = sentence.split(' ');
  if (
    CAPTION.test(sentence) ||
    (!/[.!?:;)"”’]$/u.test(sentence) && (words.length <= 5 || (!isItem && words.length <= 12)))
  )
    return 'label';
  // A passage that starts mid-sentence starts with a lower-case word; later, only a function word shows
  // it (a sentence may open with a lower-case identifier: "vl holds…").
  const opening = words[0] ?? '';
  return CONTINUING_WORDS.has(opening) || (first && !isItem && /^\p{Ll}+[,;]?$/u.test(opening))
    ? 'fragment'
    : 'sentence';
}

/**
 * Splits a retrieved passage into the pieces an answer can quote: sentences that are never cut at
 * abbreviations (e.g., i.e., Fig. 3, et al.), numbers and versions (1.5, v1.7), dotted identifiers
 * (`config.MAX`) or footnote markers (`bits.1 The`, `value.² See`, `[12]`); list items; and table
 * rows (lines with ` | ` cells) with their header row. Line breaks inside a sentence are joined, and
 * so are words broken at a line-end hyphen. Deterministic, no vocabulary beyond English typography.
 */
export function splitAnswerSentences(text: string, options: AnswerSentenceOptions = {}): AnswerSentence[] {
  // The patterns below run only on text that has their key character: most passages have none.
  const normalized = (/[⁰¹²³⁴⁵⁶⁷⁸⁹]/.test(text) ? text.replace(SUPERSCRIPT_MARKER, '') : text)
    .normalize('NFKC')
    .replace(/\r\n?/g, '\n');
  const cleaned = /(?![\n\t])[\p{Cc}\p{Co}\u00AD\u200B-\u200D\uFEFF]/u.test(normalized)
    ? normalized
        // A PDF bullet glyph often arrives as a control or private-use character: a bullet at a line start, dropped elsewhere.
        .replace(/(^|\n)[\p{Cc}\p{Co}](?= )/gu, '$1•')
        .replace(/[\u00AD\u200B-\u200D\uFEFF\p{Co}]|(?![\n\t])\p{Cc}/gu, '')
    : normalized;
  // Slides and some PDFs run list items together on one line ("… two modes • fast: no checks."): one item per line.
  const lines = (cleaned.includes('-') ? joinWrappedWords(cleaned, options.context) : cleaned).split(
    /\n|\s+(?=[•◦▪‣]\s)/u
  );
  const out: AnswerSentence[] = [];
  const push = (piece: Omit<AnswerSentence, 'position'>): void => {
    out.push({ ...piece, position: out.length });
  };
  let paragraph = '';
  let isItem = false;
  const flush = (): void => {
    splitParagraph(paragraph.trim()).forEach((sentence, i) =>
      push({
        text: sentence,
        kind: classify(sentence, isItem, out.length === 0),
        ...(isItem && i === 0 && { listItem: true }),
      })
    );
    paragraph = '';
    isItem = false;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (isTableRow(line)) {
      flush();
      const rows: string[][] = [];
      for (; i < lines.length && isTableRow(lines[i] as string); i++) rows.push(cellsOf(lines[i] as string));
      i--;
      const header =
        rows.length >= 2 && isHeaderLike(rows[0] as string[]) ? (rows.shift() as string[]).join(' | ') : undefined;
      for (const cells of rows) push({ text: cells.join(' | '), kind: 'row', ...(header !== undefined && { header }) });
      continue;
    }
    if (!line) {
      flush();
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item || (paragraph && !continuesAfterBreak(paragraph, line))) flush();
    if (item) isItem = true;
    const content = item ? line.slice(item[0].length) : line;
    paragraph = paragraph ? `${paragraph} ${content}` : content;
  }
  flush();
  // Prose that stops without punctuation at the very end was cut where the passage ends (the sentence
  // goes on in the next one); a list item or a slide line may simply have no full stop.
  const last = out.at(-1);
  if (last?.kind === 'sentence' && !last.listItem && !/[.!?:;)"”’]$/u.test(last.text)) last.kind = 'fragment';
  return out;
}
