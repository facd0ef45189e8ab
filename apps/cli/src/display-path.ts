import { isAbsolute, relative } from 'node:path';

/** A stored source as the CLI shows it: relative to `cwd` when under it, else as stored. */
export function displayPath(source: string, cwd = process.cwd()): string {
  const rel = relative(cwd, source);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : source;
}
