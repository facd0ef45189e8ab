import type { ExtractedBlock, ExtractedDocument } from './extracted.js';

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
 * Markdown: ATX headings (`#`…`######`) and setext headings become heading blocks, fenced code
 * and tables stay whole, the rest splits into paragraphs. Front matter is dropped. One page.
 */
export function extractMarkdown(source: string): ExtractedDocument {
  const lines = source.replace(/\r\n?/g, '\n').replace(/^---\n[\s\S]*?\n---\n/, '').split('\n');
  const blocks: ExtractedBlock[] = [];
  let paragraph: string[] = [];
  let title: string | undefined;
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
    const atx = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (atx) {
      flush();
      const text = stripInlineMarkdown(atx[2] ?? '');
      if (atx[1]?.length === 1 && title === undefined) title = text;
      blocks.push({ kind: 'heading', text, level: atx[1]?.length ?? 1 });
      continue;
    }
    const next = lines[i + 1] ?? '';
    if (line.trim() && /^(=+|-+)\s*$/.test(next) && paragraph.length === 0) {
      const level = next.startsWith('=') ? 1 : 2;
      const text = stripInlineMarkdown(line.trim());
      if (level === 1 && title === undefined) title = text;
      blocks.push({ kind: 'heading', text, level });
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

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code.startsWith('#x') || code.startsWith('#X')) return String.fromCodePoint(parseInt(code.slice(2), 16));
    if (code.startsWith('#')) return String.fromCodePoint(parseInt(code.slice(1), 10));
    return ENTITIES[code.toLowerCase()] ?? whole;
  });
}

/**
 * HTML: `<h1>`–`<h6>` become headings, `<pre>` code, `<table>` rows keep their cells, paragraphs
 * and list items become paragraphs; scripts, styles, navigation and comments are dropped. One page.
 */
export function extractHtml(html: string): ExtractedDocument {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const body = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|noscript|template|svg|nav|head)\b[\s\S]*?<\/\1>/gi, ' ');
  const blocks: ExtractedBlock[] = [];
  const pattern = /<(h[1-6]|pre|table|p|li|dd|dt|blockquote|figcaption|td|th|caption)\b[^>]*>([\s\S]*?)<\/\1>/gi;
  const clean = (fragment: string, keepLines: boolean): string => {
    let text = fragment.replace(/<br\s*\/?>/gi, '\n');
    if (keepLines) text = text.replace(/<\/(tr)>/gi, '\n').replace(/<\/(td|th)>/gi, ' | ');
    text = decodeEntities(text.replace(/<[^>]+>/g, keepLines ? '' : ' '));
    return keepLines ? text.split('\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/\s*\|\s*$/, '').trim()).filter(Boolean).join('\n') : text.replace(/\s+/g, ' ').trim();
  };
  for (const match of body.matchAll(pattern)) {
    const tag = (match[1] ?? '').toLowerCase();
    const inner = match[2] ?? '';
    if (tag === 'td' || tag === 'th') continue;
    if (/^h[1-6]$/.test(tag)) {
      const text = clean(inner, false);
      if (text) blocks.push({ kind: 'heading', text, level: Number(tag[1]) });
    } else if (tag === 'pre') {
      const text = decodeEntities(inner.replace(/<[^>]+>/g, ''));
      if (text.trim()) blocks.push({ kind: 'code', text });
    } else if (tag === 'table') {
      const text = clean(inner, true);
      if (text) blocks.push({ kind: 'table', text });
    } else {
      const text = clean(inner, false);
      if (text) blocks.push({ kind: 'paragraph', text: tag === 'li' ? `• ${text}` : text });
    }
  }
  if (blocks.length === 0) {
    const text = clean(body, false);
    if (text) blocks.push({ kind: 'paragraph', text });
  }
  const cleanTitle = title ? decodeEntities(title.replace(/<[^>]+>/g, '')).trim() : undefined;
  return { mediaType: 'text/html', ...(cleanTitle && { title: cleanTitle }), pageCount: 1, pages: [{ page: 1, label: '1', blocks }], pageErrors: [] };
}
