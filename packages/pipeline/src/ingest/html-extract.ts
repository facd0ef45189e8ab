import type { ExtractedBlock, ExtractedDocument } from './extracted.js';
import { HtmlSectionStack } from './html-sections.js';
import { tokenizeHtml, type HtmlTokenHandler } from './html-tokenizer.js';

/** Elements whose content is not document text. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'nav', 'head', 'iframe', 'noembed', 'noframes', 'textarea', 'select']);
/**
 * Class names generators give navigation (DocBook XSL's page header and footer and tables of
 * contents): links to other pages, not content, and citing them would point at the wrong page.
 */
const NAVIGATION_CLASSES = new Set(['navheader', 'navfooter', 'toc']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements that end the running paragraph where they start and end. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'center', 'dd', 'details', 'dialog', 'dir', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'html', 'legend',
  'li', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul',
]);
/** Start tags that close an open element of the same group, unless a boundary element comes first. */
const IMPLIED_END: Record<string, { closes: readonly string[]; boundary: readonly string[] }> = {
  li: { closes: ['li'], boundary: ['ul', 'ol', 'menu'] },
  dt: { closes: ['dt', 'dd'], boundary: ['dl'] },
  dd: { closes: ['dt', 'dd'], boundary: ['dl'] },
  tr: { closes: ['tr'], boundary: ['table', 'tbody', 'thead', 'tfoot'] },
  td: { closes: ['td', 'th'], boundary: ['tr', 'table'] },
  th: { closes: ['td', 'th'], boundary: ['tr', 'table'] },
  ...Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [h, { closes: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], boundary: ['body', 'div', 'section', 'table'] }])),
};
/** How far up the open elements a tag looks for its match: keeps broken markup from costing quadratic time. */
const SEARCH_DEPTH = 256;

interface OpenElement {
  name: string;
  /** Opens a region whose text is dropped. */
  skip: boolean;
  /** On an `a` inside a heading: where its text starts, to drop a `¶`-style self link. */
  headingTextAt?: number;
  selfLink?: boolean;
}

/** A heading or anchored term being read. */
interface Title {
  kind: 'heading' | 'term';
  level: number;
  anchor: string | undefined;
  /** The first id inside it, and the target of a `#…` link inside it (GitHub's rendered Markdown). */
  innerAnchor?: string;
  linkTarget?: string;
  parts: string[];
  /** The element that ends it. */
  depth: number;
  /** The element its section lives in: it ends when that element closes. */
  container: OpenElement;
}

interface Table {
  rows: string[];
  cells: string[];
  cell: string[];
  caption: string[];
  inCaption: boolean;
  /** Tables open inside this one's cells: read as part of the cell. */
  nested: number;
  depth: number;
}

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};
/** An id seen before a heading or term, with the element that carries it (none for an empty `<a>`). */
interface PendingAnchor {
  id: string;
  /** From an `<a>` or a `varlistentry`: may anchor a definition-list term too. */
  termAnchor: boolean;
  element?: OpenElement;
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();
const classes = (attributes: ReadonlyMap<string, string>): string[] => (attributes.get('class') ?? '').split(/\s+/).filter(Boolean);

/**
 * Reads HTML tokens into blocks: headings (with anchors), paragraphs, list items, code, tables,
 * and definition-list terms that carry an id as sub-section headings.
 */
class HtmlBlockReader implements HtmlTokenHandler {
  readonly blocks: ExtractedBlock[] = [];
  title: string | undefined;
  private readonly stack: OpenElement[] = [];
  private skipFrom = -1;
  private inline: string[] = [];
  private bullet = false;
  private heading: Title | undefined;
  private pre: { parts: string[]; depth: number } | undefined;
  private table: Table | undefined;
  /** Ids seen with no text since: the anchor of a heading they enclose or precede. */
  private pendingAnchors: PendingAnchor[] = [];
  private readonly sections = new HtmlSectionStack<OpenElement>();
  /** The root the page's first sections live in when no element encloses them. */
  private readonly root: OpenElement = { name: '#document', skip: false };
  /** Set when a section ended: the depth the next block returns to. */
  private returnTo: number | undefined;

  start(name: string, attributes: ReadonlyMap<string, string>, selfClosing: boolean): void {
    if (this.skipFrom < 0) this.impliedEnds(name);
    const skipping = this.skipFrom >= 0;
    const empty = selfClosing || VOID.has(name);
    const skip =
      !skipping &&
      (SKIPPED.has(name) || attributes.get('role') === 'navigation' || attributes.has('hidden') || classes(attributes).some((c) => NAVIGATION_CLASSES.has(c)));
    const element: OpenElement = { name, skip };
    if (!skipping && !skip) this.opening(element, attributes, empty);
    if (empty) return;
    if (skip) this.skipFrom = this.stack.length;
    this.stack.push(element);
    if (!skipping && name === 'dt') this.openTerm(attributes);
  }

  end(name: string): void {
    const floor = Math.max(0, this.stack.length - SEARCH_DEPTH);
    for (let i = this.stack.length - 1; i >= floor; i--) {
      if (this.stack[i]?.name !== name) continue;
      while (this.stack.length > i) this.close(this.stack.pop() as OpenElement);
      return;
    }
    // An end tag with no open element: `</p>` alone still ends a paragraph, as browsers treat it.
    if (BLOCK.has(name) && this.skipFrom < 0) this.flush();
  }

  text(text: string, raw: boolean): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.name === 'title' && this.title === undefined && !this.stack.some((e) => e.name === 'svg')) {
      this.title = collapse(text);
      return;
    }
    if (this.skipFrom >= 0 || raw) return;
    if (this.pendingAnchors.length > 0 && /\S/.test(text)) this.pendingAnchors = [];
    if (this.pre) this.pre.parts.push(text);
    else if (this.table) (this.table.inCaption ? this.table.caption : this.table.cell).push(text);
    else if (this.heading) this.heading.parts.push(text);
    else this.inline.push(text);
  }

  /** Ends what is still open at the end of the file. */
  finish(): void {
    while (this.stack.length > 0) this.close(this.stack.pop() as OpenElement);
    this.flush();
  }

  /** A start tag outside skipped regions: block boundaries, headings, code, tables, anchors. */
  private opening(element: OpenElement, attributes: ReadonlyMap<string, string>, empty: boolean): void {
    const { name } = element;
    const id = attributes.get('id') || (name === 'a' ? attributes.get('name') : undefined) || undefined;
    if (name === 'br') return this.lineBreak();
    if (this.heading) {
      if (name === 'a') {
        element.headingTextAt = this.heading.parts.length;
        element.selfLink = (attributes.get('href') ?? '').startsWith('#');
      }
      if (id) this.heading.innerAnchor ??= id;
      const href = attributes.get('href');
      if (name === 'a' && href?.startsWith('#') && href.length > 1) this.heading.linkTarget ??= safeDecode(href.slice(1));
      return;
    }
    if (this.pre) return;
    if (this.table) return this.tableOpening(name);
    if (BLOCK.has(name)) this.flush();
    if (empty) {
      // `<a name="x"/>` (XHTML) still anchors what follows; an empty `<table/>` opens nothing.
      if (id) this.pendingAnchors.push({ id, termAnchor: name === 'a' });
      return;
    }
    if (name === 'li') this.bullet = true;
    if (/^h[1-6]$/.test(name)) {
      const level = Number(name[1]);
      const from = id ? undefined : this.sectionAnchor();
      const container = from?.element ?? this.stack[this.stack.length - 1] ?? this.root;
      this.heading = { kind: 'heading', level, anchor: id ?? from?.id, parts: [], depth: this.stack.length, container };
      this.pendingAnchors = [];
      return;
    }
    if (name === 'pre') this.pre = { parts: [], depth: this.stack.length };
    else if (name === 'table') this.table = { rows: [], cells: [], cell: [], caption: [], inCaption: false, nested: 0, depth: this.stack.length };
    if (id && name !== 'html' && name !== 'body') this.pendingAnchors.push({ id, termAnchor: name === 'a' || classes(attributes).includes('varlistentry'), ...(name !== 'a' && { element }) });
  }

  /**
   * The anchor a heading gets from before it: the id of the innermost element still open around
   * it (the section it titles), else the last empty `<a id|name>` before it.
   */
  private sectionAnchor(): PendingAnchor | undefined {
    const pending = this.pendingAnchors;
    for (let i = pending.length - 1; i >= 0; i--) {
      const element = pending[i]?.element;
      if (element && this.stack.includes(element)) return pending[i];
    }
    for (let i = pending.length - 1; i >= 0; i--) if (!pending[i]?.element) return { id: pending[i]?.id as string, termAnchor: false };
    return undefined;
  }

  private tableOpening(name: string): void {
    const table = this.table as Table;
    if (name === 'table') table.nested++;
    if (name === 'caption' && table.nested === 0) table.inCaption = true;
    else if (BLOCK.has(name)) (table.inCaption ? table.caption : table.cell).push(' ');
  }

  private lineBreak(): void {
    if (this.pre) this.pre.parts.push('\n');
    else if (this.table) this.table.cell.push(' ');
    else if (this.heading) this.heading.parts.push(' ');
    else this.inline.push(' ');
  }

  /** A `dt` with an id (its own, its `varlistentry`'s, or an anchor inside) titles a sub-section. */
  private openTerm(attributes: ReadonlyMap<string, string>): void {
    if (this.heading || this.pre || this.table) return;
    const list = this.enclosing('dl');
    const listEntry = this.pendingAnchors.findLast((a) => a.termAnchor && (!a.element || this.stack.includes(a.element)));
    const ownAnchor = attributes.get('id') || listEntry?.id;
    this.pendingAnchors = [];
    // The term is read like a heading; without any anchor it becomes a plain paragraph when it ends.
    // Its section lives in the list: the list's end returns to the section around it.
    const container = list ?? this.stack[this.stack.length - 2] ?? this.root;
    this.heading = { kind: 'term', level: 0, anchor: ownAnchor, parts: [], depth: this.stack.length - 1, container };
  }

  /** Closes elements a start tag implies the end of (`<li>` after `<li>`, `<dd>` after `<dt>`). */
  private impliedEnds(name: string): void {
    const rule = IMPLIED_END[name];
    if (rule) {
      const floor = Math.max(0, this.stack.length - SEARCH_DEPTH);
      for (let i = this.stack.length - 1; i >= floor; i--) {
        const open = this.stack[i]?.name ?? '';
        if (rule.boundary.includes(open)) return;
        if (rule.closes.includes(open)) {
          while (this.stack.length > i) this.close(this.stack.pop() as OpenElement);
          return;
        }
      }
      return;
    }
    // A block start closes an open paragraph (HTML allows `<p>` without `</p>`).
    if (!BLOCK.has(name)) return;
    const floor = Math.max(0, this.stack.length - 8);
    for (let i = this.stack.length - 1; i >= floor; i--) {
      const open = this.stack[i]?.name ?? '';
      if (open === 'p') {
        while (this.stack.length > i) this.close(this.stack.pop() as OpenElement);
        return;
      }
      if (BLOCK.has(open)) return;
    }
  }

  private enclosing(name: string): OpenElement | undefined {
    const floor = Math.max(0, this.stack.length - SEARCH_DEPTH);
    for (let i = this.stack.length - 1; i >= floor; i--) if (this.stack[i]?.name === name) return this.stack[i];
    return undefined;
  }

  /** An element ends (by its end tag, an implied end, or the end of the file). */
  private close(element: OpenElement): void {
    const depth = this.stack.length;
    if (this.skipFrom >= 0) {
      if (depth === this.skipFrom) this.skipFrom = -1;
      return;
    }
    if (this.heading) {
      if (element.headingTextAt !== undefined && element.selfLink) {
        // A `¶` or `#` link to the heading itself is decoration, not part of its title.
        const added = this.heading.parts.slice(element.headingTextAt).join('');
        if (!/[\p{L}\p{N}]/u.test(added)) this.heading.parts.length = element.headingTextAt;
      }
      if (depth === this.heading.depth) this.endTitle(this.heading);
      return;
    }
    if (this.pre && depth === this.pre.depth) {
      const text = this.pre.parts.join('');
      this.pre = undefined;
      if (text.trim()) this.emit({ kind: 'code', text });
      return;
    }
    if (this.table) return this.tableClosing(element, depth);
    const holdsSection = this.sections.holds(element);
    if (BLOCK.has(element.name) || holdsSection) this.flush();
    if (element.name === 'li') this.bullet = false;
    if (holdsSection && this.sections.closed(element, this.blocks.length, this.stack[this.stack.length - 1] ?? this.root)) {
      this.returnTo = this.sections.level;
    }
  }

  private tableClosing(element: OpenElement, depth: number): void {
    const table = this.table as Table;
    if (element.name === 'table' && depth > table.depth) {
      table.nested = Math.max(0, table.nested - 1);
      table.cell.push(' ');
    } else if (table.nested > 0) {
      if (BLOCK.has(element.name)) table.cell.push(' ');
    } else if (element.name === 'caption') table.inCaption = false;
    else if (element.name === 'td' || element.name === 'th') {
      table.cells.push(collapse(table.cell.join('')));
      table.cell = [];
    } else if (element.name === 'tr') {
      if (table.cell.join('').trim()) table.cells.push(collapse(table.cell.join('')));
      table.cell = [];
      while (table.cells.length > 0 && !table.cells[table.cells.length - 1]) table.cells.pop();
      if (table.cells.some(Boolean)) table.rows.push(table.cells.join(' | '));
      table.cells = [];
    } else if (element.name === 'table' && depth === table.depth) {
      const caption = collapse(table.caption.join(''));
      const loose = collapse(table.cell.join(''));
      const text = [caption, ...table.rows, loose].filter(Boolean).join('\n');
      this.table = undefined;
      if (text) this.emit({ kind: 'table', text });
    } else if (BLOCK.has(element.name)) table.cell.push(' ');
  }

  private endTitle(title: Title): void {
    this.heading = undefined;
    const text = collapse(title.parts.join(''));
    const anchor = title.anchor ?? title.innerAnchor ?? (title.kind === 'heading' ? title.linkTarget : undefined);
    const inListSection = title.kind === 'term' && this.sections.innermostContainer === title.container;
    if (title.kind === 'term' && (!anchor || !text)) {
      // A term without an anchor ends the previous term's section and stays text of the one around the list.
      if (inListSection) this.endSections(this.sections.level);
      if (text) this.emit({ kind: 'paragraph', text });
      return;
    }
    if (!text) return;
    let level =
      title.kind === 'term'
        ? inListSection
          ? this.sections.level
          : this.sections.level + 1
        : this.sections.headingLevel(title.level, title.container, (e) => this.stack.lastIndexOf(e));
    // Right after a section ended, a heading cannot sit deeper than one below the section still open.
    if (this.returnTo !== undefined) level = Math.min(level, this.returnTo + 1);
    this.returnTo = undefined;
    this.emit({ kind: 'heading', text, level, ...(anchor && { anchor }) });
    this.sections.opened(level, title.container, this.blocks.length);
  }

  /** Sections at `level` and deeper end: what follows belongs to the section around them. */
  private endSections(level: number): void {
    this.flush();
    this.sections.endFrom(level);
    this.returnTo = this.sections.level;
  }

  private flush(): void {
    if (this.inline.length === 0) return;
    const text = collapse(this.inline.join(''));
    this.inline = [];
    if (!text) return;
    this.emit({ kind: 'paragraph', text: this.bullet ? `• ${text}` : text });
    this.bullet = false;
  }

  private emit(block: ExtractedBlock): void {
    if (block.kind !== 'heading' && this.returnTo !== undefined) {
      block.level = this.returnTo;
      this.returnTo = undefined;
    }
    this.blocks.push(block);
  }
}

/**
 * HTML: `<h1>`–`<h6>` become headings with their anchor (the heading's id, an `<a id|name>` in or
 * just before it, or the id of the element that opens its section, like DocBook's
 * `<div class="sect1" id="…">`); a definition-list term with an id (`<dt id="…">`, a
 * `varlistentry`'s id) becomes a sub-section heading one level deeper, so each entry is cited on
 * its own. `<pre>` is code, tables keep their rows (`a | b`), other text becomes paragraphs and
 * list items. Scripts, styles, navigation (`<nav>`, `role="navigation"`, DocBook's page headers,
 * footers and tables of contents) and comments are dropped. One page.
 */
export function extractHtml(html: string): ExtractedDocument {
  const reader = new HtmlBlockReader();
  tokenizeHtml(html, reader);
  reader.finish();
  const title = reader.title || undefined;
  return { mediaType: 'text/html', ...(title && { title }), pageCount: 1, pages: [{ page: 1, label: '1', blocks: reader.blocks }], pageErrors: [] };
}
