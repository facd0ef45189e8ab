// What tools/consumer-install.mjs reads from a published package's README.md:
//   - the main example: the one fenced block whose info string carries the word `example`
//     (```ts example expect="[1]"``` or ```sh example```; renderers use the first word as the
//     language), with `expect` the text its output must contain;
//   - the packages the "Install" section tells the user to install (`npm install …` lines);
//   - the relative links, which must point into the package's tarball (examples/ and other
//     folders of the repository are not shipped: link them by their repository URL).
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** The fenced code blocks of a Markdown text: `{ info, code, line }`, `line` 1-based (the opening fence). */
export function fencedBlocks(markdown) {
  const blocks = [];
  let open;
  markdown.split('\n').forEach((text, index) => {
    const fence = FENCE.exec(text);
    if (!open) {
      if (fence)
        open = { indent: fence[1].length, marker: fence[2], info: fence[3].trim(), line: index + 1, lines: [] };
      return;
    }
    if (fence && fence[2].startsWith(open.marker) && fence[3].trim() === '') {
      blocks.push({ info: open.info, code: open.lines.join('\n') + '\n', line: open.line });
      open = undefined;
      return;
    }
    // Blocks nested in list items are indented; the code itself is not.
    open.lines.push(text.slice(Math.min(open.indent, text.length - text.trimStart().length)));
  });
  return blocks;
}

/** The block marked `example`, as `{ lang, code, expect, line }`; throws unless there is exactly one. */
export function mainExample(markdown) {
  const marked = fencedBlocks(markdown).filter((b) => b.info.split(/\s+/).slice(1).includes('example'));
  if (marked.length !== 1) {
    const where = marked.map((b) => `line ${b.line}`).join(', ');
    throw new Error(
      `expected one code block marked \`\`\`ts example, found ${marked.length}${where ? ` (${where})` : ''}`,
    );
  }
  const [block] = marked;
  const lang = block.info.split(/\s+/)[0];
  if (!['ts', 'sh'].includes(lang))
    throw new Error(`the example block (line ${block.line}) is \`${lang}\`; ts and sh run`);
  const expect = /\bexpect="([^"]*)"/.exec(block.info)?.[1];
  return { lang, code: block.code, expect, line: block.line };
}

/** Every `@ragbridge/*` package the `npm install` commands of the "Install" section name. */
export function installedPackages(markdown) {
  const section = /^## Install\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1] ?? '';
  const names = new Set();
  for (const block of fencedBlocks(section)) {
    for (const line of block.code.split('\n')) {
      const words = line.replace(/#.*/, '').trim().split(/\s+/);
      if (words[0] !== 'npm' || !['install', 'i', 'add'].includes(words[1])) continue;
      for (const word of words.slice(2)) if (word.startsWith('@ragbridge/')) names.add(word.replace(/(?<=.)@.*$/, ''));
    }
  }
  return [...names];
}

/** The Markdown text without its fenced blocks and inline code spans. */
function prose(markdown) {
  const kept = [];
  let marker;
  for (const line of markdown.split('\n')) {
    const fence = FENCE.exec(line);
    if (marker === undefined && fence) marker = fence[2];
    else if (marker !== undefined && fence && fence[2].startsWith(marker) && fence[3].trim() === '') marker = undefined;
    else if (marker === undefined) kept.push(line);
  }
  return kept.join('\n').replace(/`[^`\n]*`/g, '');
}

/** Relative link targets outside code (Markdown links, reference definitions, href/src attributes). */
export function relativeLinks(markdown) {
  const text = prose(markdown);
  const targets = [
    ...[...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
    ...[...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]),
    ...[...text.matchAll(/\b(?:href|src)="([^"]+)"/g)].map((m) => m[1]),
  ];
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
}

/** The relative links of a README that point to nothing in the package's tarball (`files`: packed paths). */
export function linksOutsideTarball(markdown, files) {
  const packed = new Set(files);
  const inTarball = (path) => packed.has(path) || files.some((f) => f.startsWith(`${path}/`));
  return relativeLinks(markdown).filter((target) => {
    const path = posix.normalize(decodeURI(target.replace(/[#?].*$/, ''))).replace(/\/$/, '');
    return path.startsWith('..') || !inTarball(path);
  });
}

/** Reads a README once: its example, install names and the links that leave the tarball. */
export function readReadme(path, files) {
  const markdown = readFileSync(path, 'utf8');
  return {
    example: mainExample(markdown),
    installs: installedPackages(markdown),
    badLinks: linksOutsideTarball(markdown, files),
  };
}
