import type { ExtractedBlock, ExtractedDocument } from './extracted.js';

export { extractHtml } from './html-extract.js';

/** Splits plain text into paragraphs at blank lines; one page. */
export function extractPlainText(text: string): ExtractedDocument {
  const blocks: ExtractedBlock[] = text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => ({ kind: 'paragraph', text: p }));
  return { mediaType: 'text/plain', pageCount: 1, pages: [{ page: 1, label: '1', blocks }], pageErrors: [] };
}

/**
 * Markdown: ATX headings (`#`…`######`) and setext headings become heading blocks with an anchor
 * (an explicit `{#id}`, an `<a id|name>` in the heading, else GitHub's slug of its text), fenced
 * code and tables stay whole, the rest splits into paragraphs. Front matter is dropped. One page.
 */
export function extractMarkdown(source: string): ExtractedDocument {
  const lines = source.replace(/\r\n?/g, '\n').replace(/^---\n[\s\S]*?\n---\n/, '').split('\n');
  const blocks: ExtractedBlock[] = [];
  let paragraph: string[] = [];
  let title: string | undefined;
  const slugs = new MarkdownSlugger();
  const flush = (): void => {
    const text = paragraph.join('\n').trim();
    if (text) blocks.push({ kind: 'paragraph', text: stripInlineMarkdown(text) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] ?? '').startsWith(fence[1] ?? '```'); i++) body.push(lines[i] ?? '');
      if (body.join('').trim()) blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    const atx = atxHeading(line);
    if (atx) {
      flush();
      const heading = slugs.heading(atx.text, atx.level);
      if (atx.level === 1 && title === undefined) title = heading.text;
      blocks.push(heading);
      continue;
    }
    const next = lines[i + 1] ?? '';
    if (line.trim() && /^(=+|-+)\s*$/.test(next) && paragraph.length === 0) {
      const level = next.startsWith('=') ? 1 : 2;
      const heading = slugs.heading(line.trim(), level);
      if (level === 1 && title === undefined) title = heading.text;
      blocks.push(heading);
      i++;
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line)) {
      flush();
      const rows: string[] = [];
      for (; i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i] ?? ''); i++) {
        const row = lines[i] ?? '';
        if (!/^\s*\|[\s:|-]+\|\s*$/.test(row)) rows.push(stripInlineMarkdown(row.trim()));
      }
      i--;
      blocks.push({ kind: 'table', text: rows.join('\n') });
      continue;
    }
    if (!line.trim()) flush();
    else if (/^\s{0,3}(?:[-*+]|\d+[.)])\s+/.test(line) || paragraph.length === 0) {
      paragraph.push(line.replace(/^\s{0,3}(?:[-*+]|\d+[.)])\s+/, '• ').replace(/^\s*>\s?/, '').trim());
    } else {
      // A wrapped line continues the paragraph or list item (a soft break in Markdown).
      paragraph[paragraph.length - 1] += ` ${line.replace(/^\s*>\s?/, '').trim()}`;
    }
  }
  flush();
  return { mediaType: 'text/markdown', ...(title !== undefined && { title }), pageCount: 1, pages: [{ page: 1, label: '1', blocks }], pageErrors: [] };
}

function stripInlineMarkdown(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1');
}

/** An ATX heading line (`## Title ##`): level and raw text, or undefined. Linear: no backtracking pattern. */
function atxHeading(line: string): { level: number; text: string } | undefined {
  let level = 0;
  while (level < line.length && line[level] === '#') level++;
  if (level === 0 || level > 6) return undefined;
  const rest = line.slice(level);
  if (rest && rest[0] !== ' ' && rest[0] !== '\t') return undefined;
  let text = rest.trim();
  // A closing run of `#` is dropped when a space separates it from the text (`## Title ##`).
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  if (end === 0) text = '';
  else if (end < text.length && (text[end - 1] === ' ' || text[end - 1] === '\t')) text = text.slice(0, end).trimEnd();
  return { level, text };
}

/**
 * GitHub's heading slug: lower case, characters other than letters, marks, digits, `_`, `-` and
 * spaces dropped, each space a `-` (so `A & B` is `a--b`). Matches github-slugger's algorithm.
 */
export function markdownSlug(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/**
 * Anchors for one document's headings: `{#id}` or an `<a id|name>` in the heading when given,
 * else the slug, with repeats suffixed `-1`, `-2`, … as GitHub does.
 */
export class MarkdownSlugger {
  private readonly seen = new Map<string, number>();

  /** The heading block for raw heading text at `level`. */
  heading(raw: string, level: number): ExtractedBlock {
    let source = raw;
    let explicit: string | undefined;
    // `{#id .class}` at the end (Pandoc, kramdown, MkDocs): found with lastIndexOf, not a scan from every position.
    const open = source.lastIndexOf('{#');
    const attributes = open < 0 ? null : /^\{#([^\s{}]+)[^{}]*\}\s*$/.exec(source.slice(open));
    if (attributes) {
      explicit = attributes[1];
      source = source.slice(0, open);
    }
    const html = /<a\s[^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["'][^>]*>/i.exec(source);
    if (html) explicit ??= html[1];
    const text = stripInlineMarkdown(source.replace(/<\/?[A-Za-z][^>]*>/g, '')).trim();
    const anchor = explicit ?? this.unique(markdownSlug(text));
    if (explicit) this.seen.set(explicit, this.seen.get(explicit) ?? 0);
    return { kind: 'heading', text, level, ...(anchor && { anchor }) };
  }

  private unique(slug: string): string {
    let result = slug;
    while (this.seen.has(result)) {
      const count = (this.seen.get(slug) ?? 0) + 1;
      this.seen.set(slug, count);
      result = `${slug}-${count}`;
    }
    this.seen.set(result, 0);
    return result;
  }
}
