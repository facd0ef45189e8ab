import type { Chunk, DocumentSection } from '@ragbridge/core-interfaces';
import type { ExtractedBlock, ExtractedDocument } from './extracted.js';

/** Options of {@link chunkDocument}. */
export interface ChunkerOptions {
  /** Aim for chunks of about this many tokens. @default 180 */
  targetTokens?: number;
  /** Never exceed this many tokens (a table or sentence longer than this is split). @default 320 */
  maxTokens?: number;
  /** Tokens of the previous chunk repeated at the start of the next one on the same page. @default 40 */
  overlapTokens?: number;
}

/** Deepest heading level kept apart (HTML's h1–h6, and list terms below them). */
const MAX_DEPTH = 12;

/** Whether a UTF-16 code unit is whitespace as the regex `\s` defines it. */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Words: runs of non-whitespace (what `text.split(/\s+/).filter(Boolean)` counts, without building the array). */
function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isWhitespace(text.charCodeAt(i));
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

/** Rough token count: words, or a quarter of the characters for dense technical text. */
export function countTokens(text: string): number {
  return Math.max(countWords(text), Math.ceil(text.length / 5));
}

interface Unit {
  text: string;
  /** Offset in the document text. */
  start: number;
  tokens: number;
  /** A table or code block: keep whole where possible, never overlap into it. */
  atomic: boolean;
  /** A heading line: opens a chunk but is not content on its own. */
  heading?: boolean;
}

/** Splits text into sentences, keeping abbreviations like `e.g.` and numbers like `1.5` intact. */
export function splitSentences(text: string): string[] {
  const parts = text.split(/(?<=[.!?])\s+(?=[\p{Lu}\d"“(•])|\n+/u);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function splitLong(text: string, maxTokens: number, atomic: boolean): string[] {
  if (countTokens(text) <= maxTokens) return [text];
  const pieces = atomic ? text.split('\n') : splitSentences(text);
  const out: string[] = [];
  let current = '';
  // Words of `current`: joining with a whitespace separator adds the piece's words, so the
  // count is kept instead of recounting the growing text for every piece.
  let currentWords = 0;
  for (const piece of pieces) {
    const pieceWords = countWords(piece);
    if (Math.max(pieceWords, Math.ceil(piece.length / 5)) > maxTokens) {
      if (current) out.push(current);
      current = '';
      currentWords = 0;
      const words = piece.split(/\s+/);
      for (let i = 0; i < words.length; i += maxTokens) out.push(words.slice(i, i + maxTokens).join(' '));
      continue;
    }
    const joined = current ? `${current}${atomic ? '\n' : ' '}${piece}` : piece;
    const joinedWords = current ? currentWords + pieceWords : pieceWords;
    if (Math.max(joinedWords, Math.ceil(joined.length / 5)) > maxTokens && current) {
      out.push(current);
      current = piece;
      currentWords = pieceWords;
    } else {
      current = joined;
      currentWords = joinedWords;
    }
  }
  if (current) out.push(current);
  return out;
}

/** What {@link chunkDocument} returns: the chunks and the document's full text they point into. */
export interface ChunkedDocument {
  chunks: Chunk[];
  /** The extracted text, pages separated by a blank line; chunk offsets index into it. */
  text: string;
}

/** The chunker's defaults, in tokens. */
export const CHUNKER_DEFAULTS = { targetTokens: 180, maxTokens: 320, overlapTokens: 40 } as const;

/**
 * Cuts a document into chunks that follow its structure: a heading starts a new chunk, paragraphs
 * are packed up to the token budget, long paragraphs split at sentences, tables and code are
 * kept whole when they fit, and consecutive chunks on a page overlap by a sentence or two.
 * Chunks never cross a page, so every chunk cites one physical page and its printed label, nor a
 * heading: in documents without pages (HTML, Markdown) each chunk carries the section it cites.
 */
export function chunkDocument(docId: string, doc: ExtractedDocument, options: ChunkerOptions = {}): ChunkedDocument {
  const target = options.targetTokens ?? CHUNKER_DEFAULTS.targetTokens;
  const max = options.maxTokens ?? CHUNKER_DEFAULTS.maxTokens;
  const overlap = options.overlapTokens ?? CHUNKER_DEFAULTS.overlapTokens;
  const chunks: Chunk[] = [];
  const headings: string[] = [];
  /** Anchors of `headings`, by the same depth. */
  const anchors: Array<string | undefined> = [];
  const citesSections = doc.mediaType !== 'application/pdf';
  /** The innermost open section, for documents cited by section. */
  const currentSection = (): DocumentSection | undefined => {
    if (!citesSections) return undefined;
    // Depths can be skipped (an h3 right under an h1): the innermost is the last one present.
    for (let depth = headings.length - 1; depth >= 0; depth--) {
      const title = headings[depth];
      if (!title) continue;
      const anchor = anchors[depth];
      return { title, ...(anchor !== undefined && { anchor }) };
    }
    return undefined;
  };
  // The document text as parts joined once at the end; `length` and `endsWithBreak` track it.
  const parts: string[] = [];
  let length = 0;
  let endsWithBreak = false;
  let lastChar = '';
  /** Appends a line (after a newline unless at a page start) or, with `raw`, the text as is. */
  const append = (part: string, raw: boolean): void => {
    const separator = raw || length === 0 || endsWithBreak ? '' : '\n';
    const added = separator + part;
    parts.push(added);
    length += added.length;
    if (added.length >= 2) endsWithBreak = added.endsWith('\n\n');
    else if (added.length === 1) endsWithBreak = added === '\n' && lastChar === '\n';
    if (added.length > 0) lastChar = added[added.length - 1] as string;
  };

  for (const page of doc.pages) {
    if (length > 0) append('\n\n', true);
    let units: Unit[] = [];
    let sectionPath = headings.filter(Boolean);
    let section = currentSection();
    let pageOrdinal = 0;

    const emit = (force = false): void => {
      const body = units.map((u) => u.text).join('\n');
      if (!body.trim() || (units.every((u) => u.heading) && !force)) return;
      const first = units[0] as Unit;
      const last = units[units.length - 1] as Unit;
      chunks.push({
        id: `${docId}:p${page.page}:${pageOrdinal++}`,
        docId,
        text: body,
        page: page.page,
        pageEnd: page.page,
        pageLabel: page.label,
        sectionPath: [...sectionPath],
        ...(section && { section }),
        charStart: first.start,
        charEnd: last.start + last.text.length,
      });
    };
    const startNext = (withOverlap: boolean): void => {
      const previous = units;
      units = [];
      if (!withOverlap || overlap <= 0) return;
      const last = previous[previous.length - 1];
      if (!last || last.atomic) return;
      const sentences = splitSentences(last.text);
      let carried = '';
      for (let i = sentences.length - 1; i >= 0; i--) {
        const candidate = carried ? `${sentences[i]} ${carried}` : (sentences[i] as string);
        if (countTokens(candidate) > overlap) break;
        carried = candidate;
      }
      if (carried && carried !== last.text) {
        const offset = last.text.lastIndexOf(carried.slice(0, 20));
        units.push({ text: carried, start: last.start + Math.max(0, offset), tokens: countTokens(carried), atomic: false });
      }
    };
    const add = (block: ExtractedBlock): void => {
      const atomic = block.kind === 'table' || block.kind === 'code';
      append(block.text, false);
      const blockStart = length - block.text.length;
      // Offsets are found in the block's own text: searching the growing document string would
      // flatten it again for every piece (quadratic in the document's size).
      let cursor = 0;
      // Leave room for the overlap carried into the chunk so no chunk exceeds `max`.
      for (const piece of splitLong(block.text, Math.max(16, max - overlap), atomic)) {
        const at = block.text.indexOf(piece.slice(0, 30), cursor);
        const relative = at >= 0 ? at : cursor;
        cursor = relative + piece.length;
        const unit: Unit = { text: piece, start: blockStart + relative, tokens: countTokens(piece), atomic };
        const used = units.reduce((n, u) => n + u.tokens, 0);
        if (units.some((u) => !u.heading) && used + unit.tokens > (atomic ? max : target)) {
          emit();
          startNext(!atomic);
        }
        units.push(unit);
      }
    };

    for (const block of page.blocks) {
      if (block.kind !== 'heading' && block.level !== undefined && headings.length > block.level) {
        // A deeper section (an anchored list term) ended: the block belongs to the enclosing one.
        if (units.some((u) => !u.heading)) {
          emit();
          startNext(false);
        }
        headings.length = anchors.length = Math.max(0, block.level);
        sectionPath = headings.filter(Boolean);
        section = currentSection();
      }
      if (block.kind === 'heading') {
        const level = Math.max(1, Math.min(MAX_DEPTH, block.level ?? 1));
        if (units.some((u) => !u.heading)) {
          emit();
          startNext(false);
        }
        headings.length = anchors.length = level - 1;
        headings[level - 1] = block.text.trim();
        anchors[level - 1] = block.anchor;
        sectionPath = headings.filter(Boolean);
        section = currentSection();
        append(block.text, false);
        const start = length - block.text.length;
        // The heading line opens the chunk it titles, so its words are searchable with the text.
        units.push({ text: block.text, start, tokens: countTokens(block.text), atomic: false, heading: true });
        continue;
      }
      add(block);
    }
    // A page of headings only still gets a chunk, so its words stay findable.
    emit(pageOrdinal === 0);
  }
  return { chunks, text: parts.join('') };
}
