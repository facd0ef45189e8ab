import { describe, expect, it } from 'vitest';
import { extractHtml, extractMarkdown, extractPlainText } from './text-extract.js';

describe('Markdown', () => {
  it('turns headings, paragraphs, tables and fenced code into blocks', () => {
    const doc = extractMarkdown(
      '---\ntitle: x\n---\n# Guide\n\nIntro with **bold** and [a link](http://x).\n\n## Table\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```\n\nSetext\n------\nBody.\n',
    );
    expect(doc.title).toBe('Guide');
    expect(doc.pages[0]?.blocks).toEqual([
      { kind: 'heading', text: 'Guide', level: 1 },
      { kind: 'paragraph', text: 'Intro with bold and a link.' },
      { kind: 'heading', text: 'Table', level: 2 },
      { kind: 'table', text: '| a | b |\n| 1 | 2 |' },
      { kind: 'code', text: 'const x = 1;' },
      { kind: 'heading', text: 'Setext', level: 2 },
      { kind: 'paragraph', text: 'Body.' },
    ]);
  });
});

describe('HTML', () => {
  it('keeps headings, paragraphs, list items, tables and pre; drops scripts, styles and nav', () => {
    const doc = extractHtml(
      '<html><head><title>T &amp; C</title><style>p{}</style></head><body><nav><p>menu</p></nav><h2>Section</h2><p>Hello&nbsp;<b>world</b></p><script>alert(1)</script><ul><li>one</li></ul><table><tr><th>k</th><td>v</td></tr></table><pre>x  =  1</pre></body></html>',
    );
    expect(doc.title).toBe('T & C');
    expect(doc.pages[0]?.blocks).toEqual([
      { kind: 'heading', text: 'Section', level: 2 },
      { kind: 'paragraph', text: 'Hello world' },
      { kind: 'paragraph', text: '• one' },
      { kind: 'table', text: 'k | v' },
      { kind: 'code', text: 'x  =  1' },
    ]);
  });
});

describe('plain text', () => {
  it('splits paragraphs at blank lines', () => {
    expect(extractPlainText('a\nb\n\n\nc').pages[0]?.blocks.map((b) => b.text)).toEqual(['a\nb', 'c']);
  });
});
