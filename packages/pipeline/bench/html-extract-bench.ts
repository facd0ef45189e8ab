/**
 * HTML / Markdown extraction throughput and scaling, on one thread.
 *
 *   node --conditions=@ragbridge/source --import tsx packages/pipeline/bench/html-extract-bench.ts [folder]
 *
 * With a folder (e.g. /usr/share/doc/postgresql-doc-15/html from Debian's postgresql-doc-15):
 * MB/s over its .html/.htm/.md files (best of 5 rounds), blocks, headings and how many carry an
 * anchor. Always: a generated page of unclosed tags at 1×, 2× and 4× size, whose times must grow
 * about linearly (a backtracking pattern would grow quadratically).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extractHtml, extractMarkdown } from '../src/ingest/text-extract.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(html?|md)$/i.test(name) ? [path] : [];
  });
}

function bestOf<T>(rounds: number, run: () => T): { ms: number; result: T } {
  let best = Infinity;
  let result = run();
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    result = run();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

const folder = process.argv[2];
if (folder) {
  const texts = files(folder).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t.text), 0);
  const { ms, result } = bestOf(5, () => {
    let blocks = 0;
    let headings = 0;
    let anchored = 0;
    for (const { path, text } of texts) {
      const doc = /\.md$/i.test(path) ? extractMarkdown(text) : extractHtml(text);
      for (const block of doc.pages[0]?.blocks ?? []) {
        blocks++;
        if (block.kind === 'heading') {
          headings++;
          if (block.anchor) anchored++;
        }
      }
    }
    return { blocks, headings, anchored };
  });
  console.log(
    `${folder}: ${texts.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms = ${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s; ` +
      `${result.blocks} blocks, ${result.headings} headings, ${result.anchored} with an anchor`,
  );
}

const unit = '<p>word <b>bold <i>text &amp; more <span class="x" title="a > b">';
for (const times of [1, 2, 4]) {
  const html = `<h1 id="top">Big</h1>${unit.repeat(20_000 * times)}`;
  const { ms } = bestOf(3, () => extractHtml(html));
  console.log(`unclosed tags ×${times}: ${(html.length / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms`);
}
