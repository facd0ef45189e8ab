/**
 * A small, forgiving HTML tokenizer for text extraction: one left-to-right pass over the source
 * (no backtracking regular expressions), so its time grows linearly with the file. It reports
 * start tags with their attributes (quoted values may hold `>`), end tags and text with entities
 * decoded; comments, doctypes and processing instructions are skipped, and the bodies of raw-text
 * elements (`script`, `style`, …) are reported as one text token without looking for tags inside.
 */

/** What {@link tokenizeHtml} reports, in document order. */
export interface HtmlTokenHandler {
  /** A start tag; `name` is lower-case, attribute names too. `selfClosing` for `<br/>`-style tags. */
  start(name: string, attributes: ReadonlyMap<string, string>, selfClosing: boolean): void;
  /** An end tag, name lower-case. */
  end(name: string): void;
  /** Text between tags, entities decoded. `raw` for the body of a raw-text element. */
  text(text: string, raw: boolean): void;
}

/** Elements whose body is text up to their end tag (HTML's raw-text and escapable raw-text elements). */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);
/** Raw-text elements whose body still has entities decoded. */
const ESCAPABLE_RAW_TEXT = new Set(['textarea', 'title']);

/** Named character references common in documentation; unknown names are left as written. */
const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009',
  zwnj: '\u200c', zwj: '\u200d', shy: '\u00ad', mdash: '—', ndash: '–', minus: '−', hellip: '…', bull: '•', middot: '·',
  lsquo: '‘', rsquo: '’', sbquo: '‚', ldquo: '“', rdquo: '”', bdquo: '„', laquo: '«', raquo: '»', lsaquo: '‹', rsaquo: '›',
  copy: '©', reg: '®', trade: '™', sect: '§', para: '¶', dagger: '†', Dagger: '‡', deg: '°', plusmn: '±', times: '×',
  divide: '÷', micro: 'µ', le: '≤', ge: '≥', ne: '≠', asymp: '≈', equiv: '≡', infin: '∞', sum: '∑', prod: '∏',
  radic: '√', larr: '←', rarr: '→', uarr: '↑', darr: '↓', harr: '↔', lArr: '⇐', rArr: '⇒', hArr: '⇔', prime: '′',
  Prime: '″', frac12: '½', frac14: '¼', frac34: '¾', sup1: '¹', sup2: '²', sup3: '³', iexcl: '¡', iquest: '¿',
  cent: '¢', pound: '£', yen: '¥', euro: '€', curren: '¤', not: '¬', and: '∧', or: '∨', cap: '∩', cup: '∪',
  isin: '∈', notin: '∉', sub: '⊂', sup: '⊃', empty: '∅', forall: '∀', exist: '∃', lambda: 'λ', mu: 'μ', pi: 'π',
  sigma: 'σ', alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', theta: 'θ', omega: 'ω', Delta: 'Δ',
  Sigma: 'Σ', Omega: 'Ω', auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', eacute: 'é',
  egrave: 'è', ecirc: 'ê', aacute: 'á', agrave: 'à', acirc: 'â', iacute: 'í', oacute: 'ó', uacute: 'ú', ccedil: 'ç',
  ntilde: 'ñ', aring: 'å', oslash: 'ø', aelig: 'æ', Eacute: 'É', Ccedil: 'Ç', Ntilde: 'Ñ', Aring: 'Å', Oslash: 'Ø',
};

/** Decodes numeric (`&#233;`, `&#xE9;`) and common named (`&eacute;`) character references. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z][A-Za-z0-9]{1,31});/g, (whole, code: string) => {
    if (code[0] === '#') {
      const point = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      // NUL, surrogates and out-of-range numbers become the replacement character, as browsers do.
      if (point === 0 || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(point);
    }
    return ENTITIES[code] ?? ENTITIES[code.toLowerCase()] ?? whole;
  });
}

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/** Index of the end of a tag starting at `from` (the `>`), honouring quoted attribute values; -1 if none. */
function tagEnd(html: string, from: number): number {
  let quote = 0;
  for (let i = from; i < html.length; i++) {
    const c = html.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) {
      // A quote opens a value only after `=` (possibly with spaces between).
      let j = i - 1;
      while (j > from && isSpace(html.charCodeAt(j))) j--;
      if (html.charCodeAt(j) === 61) quote = c;
    } else if (c === 62) return i;
  }
  return -1;
}

/** Parses `name="value" flag other='x' plain=y` (the inside of a start tag after its name). */
function parseAttributes(source: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let i = 0;
  const n = source.length;
  while (i < n) {
    while (i < n && (isSpace(source.charCodeAt(i)) || source[i] === '/')) i++;
    const nameStart = i;
    while (i < n && !isSpace(source.charCodeAt(i)) && source[i] !== '=' && source[i] !== '/') i++;
    if (i === nameStart) {
      i++;
      continue;
    }
    const name = source.slice(nameStart, i).toLowerCase();
    while (i < n && isSpace(source.charCodeAt(i))) i++;
    let value = '';
    if (source[i] === '=') {
      i++;
      while (i < n && isSpace(source.charCodeAt(i))) i++;
      const quote = source[i];
      if (quote === '"' || quote === "'") {
        const close = source.indexOf(quote, i + 1);
        const end = close < 0 ? n : close;
        value = source.slice(i + 1, end);
        i = end + 1;
      } else {
        const valueStart = i;
        while (i < n && !isSpace(source.charCodeAt(i))) i++;
        value = source.slice(valueStart, i);
      }
    }
    if (!attributes.has(name)) attributes.set(name, decodeEntities(value));
  }
  return attributes;
}

/** Finds `</name` (any case) at or after `from`; returns its index or -1. */
function findEndTag(html: string, name: string, from: number): number {
  const pattern = new RegExp(`</${name}(?=[\\s/>])`, 'gi');
  pattern.lastIndex = from;
  return pattern.exec(html)?.index ?? -1;
}

/** Tokenizes `html`, calling the handler for each start tag, end tag and text run. */
export function tokenizeHtml(html: string, handler: HtmlTokenHandler): void {
  const n = html.length;
  let i = 0;
  let textStart = 0;
  const flushText = (end: number): void => {
    if (end > textStart) handler.text(decodeEntities(html.slice(textStart, end)), false);
  };
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    const next = html.charCodeAt(lt + 1);
    if (next === 33 /* ! */) {
      flushText(lt);
      if (html.startsWith('<!--', lt)) {
        const close = html.indexOf('-->', lt + 4);
        i = close < 0 ? n : close + 3;
      } else if (html.startsWith('<![CDATA[', lt)) {
        const close = html.indexOf(']]>', lt + 9);
        const end = close < 0 ? n : close;
        handler.text(html.slice(lt + 9, end), false);
        i = close < 0 ? n : close + 3;
      } else {
        const close = html.indexOf('>', lt + 2);
        i = close < 0 ? n : close + 1;
      }
      textStart = i;
      continue;
    }
    if (next === 63 /* ? */) {
      flushText(lt);
      const close = html.indexOf('>', lt + 2);
      i = close < 0 ? n : close + 1;
      textStart = i;
      continue;
    }
    if (next === 47 /* / */ && isNameStart(html.charCodeAt(lt + 2))) {
      flushText(lt);
      const close = html.indexOf('>', lt + 2);
      const end = close < 0 ? n : close;
      let nameEnd = lt + 2;
      while (nameEnd < end && !isSpace(html.charCodeAt(nameEnd)) && html[nameEnd] !== '/') nameEnd++;
      handler.end(html.slice(lt + 2, nameEnd).toLowerCase());
      i = close < 0 ? n : close + 1;
      textStart = i;
      continue;
    }
    if (!isNameStart(next)) {
      // A lone `<` (as in `a < b`) is text.
      i = lt + 1;
      continue;
    }
    const close = tagEnd(html, lt + 1);
    if (close < 0) {
      // An unterminated tag at the end of the file: the rest is not text anyone wrote.
      flushText(lt);
      textStart = n;
      break;
    }
    flushText(lt);
    let nameEnd = lt + 1;
    while (nameEnd < close && !isSpace(html.charCodeAt(nameEnd)) && html[nameEnd] !== '/') nameEnd++;
    const name = html.slice(lt + 1, nameEnd).toLowerCase();
    const selfClosing = html.charCodeAt(close - 1) === 47;
    handler.start(name, parseAttributes(html.slice(nameEnd, selfClosing ? close - 1 : close)), selfClosing);
    i = close + 1;
    textStart = i;
    if (RAW_TEXT.has(name) && !selfClosing) {
      const endTag = name === 'plaintext' ? -1 : findEndTag(html, name, i);
      const bodyEnd = endTag < 0 ? n : endTag;
      const body = html.slice(i, bodyEnd);
      if (body) handler.text(ESCAPABLE_RAW_TEXT.has(name) ? decodeEntities(body) : body, true);
      if (endTag >= 0) {
        const endClose = html.indexOf('>', endTag);
        handler.end(name);
        i = endClose < 0 ? n : endClose + 1;
      } else i = n;
      textStart = i;
    }
  }
  flushText(n);
}
