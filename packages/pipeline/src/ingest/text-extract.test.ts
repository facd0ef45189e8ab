import { describe, expect, it } from 'vitest';
import type { ExtractedBlock } from './extracted.js';
import { extractHtml, extractMarkdown, extractPlainText, markdownSlug } from './text-extract.js';

const headings = (blocks: readonly ExtractedBlock[] | undefined): Array<[string, string | undefined]> =>
  (blocks ?? []).filter((b) => b.kind === 'heading').map((b) => [b.text, b.anchor]);

describe('Markdown', () => {
  it('turns headings, paragraphs, tables and fenced code into blocks', () => {
    const doc = extractMarkdown(
      '---\ntitle: x\n---\n# Guide\n\nIntro with **bold** and [a link](http://x).\n\n## Table\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```\n\nSetext\n------\nBody.\n',
    );
    expect(doc.title).toBe('Guide');
    expect(doc.pages[0]?.blocks).toEqual([
      { kind: 'heading', text: 'Guide', level: 1, anchor: 'guide' },
      { kind: 'paragraph', text: 'Intro with bold and a link.' },
      { kind: 'heading', text: 'Table', level: 2, anchor: 'table' },
      { kind: 'table', text: '| a | b |\n| 1 | 2 |' },
      { kind: 'code', text: 'const x = 1;' },
      { kind: 'heading', text: 'Setext', level: 2, anchor: 'setext' },
      { kind: 'paragraph', text: 'Body.' },
    ]);
  });
});

describe('Markdown anchors', () => {
  it('slugs headings as GitHub does, numbering repeats, and honours {#id} and <a id>', () => {
    const doc = extractMarkdown(
      [
        '# Install & Run',
        '## Install & Run',
        '## Install & Run ##',
        '## `work_mem` (integer)',
        '### Tuning {#tuning-tips .note}',
        '## <a id="legacy-setup"></a>Legacy setup',
        'Ünïcode Straße\n==============',
        '## install--run-1',
      ].join('\n\n'),
    );
    expect(headings(doc.pages[0]?.blocks)).toEqual([
      ['Install & Run', 'install--run'],
      ['Install & Run', 'install--run-1'],
      ['Install & Run', 'install--run-2'],
      ['work_mem (integer)', 'work_mem-integer'],
      ['Tuning', 'tuning-tips'],
      ['Legacy setup', 'legacy-setup'],
      ['Ünïcode Straße', 'ünïcode-straße'],
      // GitHub's slugger: the text's own slug is taken, so it gets the next free suffix.
      ['install--run-1', 'install--run-1-1'],
    ]);
  });

  it('slugs: lower case, punctuation dropped, each space a hyphen', () => {
    expect(markdownSlug('What’s new in v2.0?')).toBe('whats-new-in-v20');
    expect(markdownSlug('A  B_c-d')).toBe('a--b_c-d');
  });

  it('reads a heading line of any length in linear time', () => {
    const doc = extractMarkdown(`# ${'a '.repeat(200_000)}b {#x`);
    expect(doc.pages[0]?.blocks[0]?.kind).toBe('heading');
  });
});

/** The shape of DocBook output (the PostgreSQL manual's): sections as divs with ids, settings as `<dt id>`. */
const DOCBOOK_PAGE = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>7.2. Cache Settings</title><link rel="stylesheet" href="s.css" /></head>
<body id="docContent" class="container">
<div class="navheader"><table width="100%" summary="Navigation header"><tr><th colspan="3">7.2. Cache Settings</th></tr>
<tr><td><a accesskey="p" href="prev.html">Prev</a></td><th>Chapter 7. Tuning</th><td><a href="next.html">Next</a></td></tr></table><hr /></div>
<div class="sect1" id="TUNING-CACHE"><div class="titlepage"><div><div><h2 class="title" style="clear: both">7.2. Cache Settings</h2></div></div></div>
<div class="toc"><dl class="toc"><dt><span class="sect2"><a href="#TUNING-CACHE-MEMORY">7.2.1. Memory</a></span></dt></dl></div>
<p>The settings below size the caches.</p>
<div class="sect2" id="TUNING-CACHE-MEMORY"><div class="titlepage"><div><div><h3 class="title">7.2.1. Memory</h3></div></div></div>
<div class="variablelist"><dl class="variablelist">
<dt id="CFG-BLOCK-CACHE"><span class="term"><code class="varname">block_cache</code> (<code class="type">integer</code>)
  <a id="id-1.2.3.4" class="indexterm"></a></span></dt>
<dd><p>Sets the memory for cached blocks. The default is <code class="literal">64MB</code>.</p></dd>
<dt id="CFG-SORT-MEMORY"><span class="term"><code class="varname">sort_memory</code> (<code class="type">integer</code>)</span></dt>
<dd><p>Sets the memory one sort may use. The default is <code class="literal">4MB</code>.</p>
<div class="note"><h3 class="title">Note</h3><p>Each sort &amp; hash uses its own.</p></div></dd>
</dl></div>
<p>Both settings take units such as <code>kB</code> &lt;and&gt; <code>MB</code>.</p>
</div>
<div class="refsect1" id="TUNING-EXAMPLES"><h2>Examples</h2><pre class="programlisting">SET sort_memory = '8MB';
SHOW sort_memory;</pre></div>
</div>
<div class="navfooter"><hr /><table><tr><td><a href="prev.html">Prev</a></td><td><a href="index.html">Home</a></td></tr></table></div>
</body></html>`;

describe('HTML sections', () => {
  const doc = extractHtml(DOCBOOK_PAGE);
  const blocks = doc.pages[0]?.blocks ?? [];

  it('gives headings the id of the section element they open and drops page navigation and tables of contents', () => {
    expect(doc.title).toBe('7.2. Cache Settings');
    expect(blocks[0]).toEqual({ kind: 'heading', text: '7.2. Cache Settings', level: 2, anchor: 'TUNING-CACHE' });
    expect(blocks[1]).toEqual({ kind: 'paragraph', text: 'The settings below size the caches.' });
    expect(blocks.map((b) => b.text).join('\n')).not.toMatch(/Prev|Next|Home|Chapter 7/);
  });

  it('makes each definition-list term with an id a sub-section one level below its heading', () => {
    expect(blocks.slice(2, 8)).toEqual([
      { kind: 'heading', text: '7.2.1. Memory', level: 3, anchor: 'TUNING-CACHE-MEMORY' },
      { kind: 'heading', text: 'block_cache (integer)', level: 4, anchor: 'CFG-BLOCK-CACHE' },
      { kind: 'paragraph', text: 'Sets the memory for cached blocks. The default is 64MB.' },
      { kind: 'heading', text: 'sort_memory (integer)', level: 4, anchor: 'CFG-SORT-MEMORY' },
      { kind: 'paragraph', text: 'Sets the memory one sort may use. The default is 4MB.' },
      // A note inside a setting's text is a section of that setting, not a sibling of 7.2.1.
      { kind: 'heading', text: 'Note', level: 5 },
    ]);
  });

  it('returns to the enclosing section after the list, decoding entities; keeps code whole', () => {
    const rest = blocks.slice(8);
    expect(rest[0]).toEqual({ kind: 'paragraph', text: 'Each sort & hash uses its own.' });
    // After the list, text is 7.2.1's again (level 3); the examples are a section of 7.2, whose div holds them.
    expect(rest[1]).toEqual({ kind: 'paragraph', text: 'Both settings take units such as kB <and> MB.', level: 3 });
    expect(rest[2]).toEqual({ kind: 'heading', text: 'Examples', level: 3, anchor: 'TUNING-EXAMPLES' });
    expect(rest[3]).toEqual({ kind: 'code', text: "SET sort_memory = '8MB';\nSHOW sort_memory;" });
  });

  it('finds anchors on the heading, inside it, just before it, on a varlistentry, and drops ¶ self-links', () => {
    const other = extractHtml(
      [
        '<h2 id="own">Own</h2>',
        '<h2><span class="mw-headline" id="inner">Inner</span></h2>',
        '<a name="before"></a><div class="refsect1"><h3 class="title">Before</h3></div>',
        '<section id="sphinx"><h2>Sphinx<a class="headerlink" href="#sphinx" title="Link">¶</a></h2><p>x</p></section>',
        '<h2><a class="anchor" href="#linked"></a>Linked</h2>',
        '<h2>None</h2><p>y</p>',
        '<dl><dt class="varlistentry" id="VLE">term one</dt><dd>def</dd><dt>plain term</dt><dd>plain def</dd></dl>',
      ].join(''),
    );
    expect(headings(other.pages[0]?.blocks)).toEqual([
      ['Own', 'own'],
      ['Inner', 'inner'],
      ['Before', 'before'],
      ['Sphinx', 'sphinx'],
      ['Linked', 'linked'],
      ['None', undefined],
      ['term one', 'VLE'],
    ]);
    // A term without an id stays text of the section around the list.
    expect(other.pages[0]?.blocks.slice(-3)).toEqual([
      { kind: 'paragraph', text: 'def' },
      { kind: 'paragraph', text: 'plain term', level: 2 },
      { kind: 'paragraph', text: 'plain def' },
    ]);
  });
});

describe('HTML robustness', () => {
  it('reads attributes with > in quotes, unclosed paragraphs and list items, and numeric entities', () => {
    const doc = extractHtml(
      '<p title="a > b" data-x=\'<p>\'>First&#x20;para &#169; &eacute;t&eacute; &unknown; a < b<p>Second<ul><li>one<li>two</ul><table><caption>Sizes</caption><tr><td>k<td>v<tr><td>x<td><table><tr><td>in</td></tr></table></td></tr></table>',
    );
    expect(doc.pages[0]?.blocks).toEqual([
      { kind: 'paragraph', text: 'First para © été &unknown; a < b' },
      { kind: 'paragraph', text: 'Second' },
      { kind: 'paragraph', text: '• one' },
      { kind: 'paragraph', text: '• two' },
      { kind: 'table', text: 'Sizes\nk | v\nx | in' },
    ]);
  });

  it('skips comments, CDATA-less scripts with tags inside, and hidden or navigation regions', () => {
    const doc = extractHtml(
      '<body><!-- <h1>not</h1> --><script>if (a<b) document.write("<h1>x</h1>")</script><div role="navigation"><p>menu</p></div><div hidden><p>secret</p></div><h1>Kept</h1><p>Body</p></body>',
    );
    expect(doc.pages[0]?.blocks.map((b) => b.text)).toEqual(['Kept', 'Body']);
  });

  it('reads a large page with many unclosed tags in linear time', () => {
    const html = `<h1>Big</h1>${'<p>word <b>bold <i>x '.repeat(40_000)}<p>end`;
    const doc = extractHtml(html);
    expect(doc.pages[0]?.blocks.at(-1)).toEqual({ kind: 'paragraph', text: 'end' });
    expect(doc.pages[0]?.blocks.length).toBe(40_002);

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
