import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { Context, Hono } from 'hono';
import { inside, type AppContext } from '../app-context.js';
import { errorBody } from '../guards.js';

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** A URL path decoded to a relative file name; undefined when it cannot be one (malformed encoding, NUL). */
function decodedPath(encoded: string): string | undefined {
  try {
    const path = decodeURIComponent(encoded);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/** The web UI's files and pdf.js's browser build. */
export function registerStaticRoutes(app: Hono, ctx: AppContext): void {
  const { deps } = ctx;
  const serveFrom = (dir: string, prefix: string) => async (c: Context) => {
    const notFound = () => c.json(errorBody('not_found', `no file ${c.req.path}`), 404);
    // Decoded once, from the URL as sent (the router's path is decoded already: decoding it again would turn %252e into '.').
    const raw = new URL(c.req.url).pathname;
    if (!raw.startsWith(prefix)) return notFound();
    const rel = decodedPath(raw.slice(prefix.length));
    if (rel === undefined) return c.json(errorBody('bad_request', 'the path is not a valid file name'), 400);
    const path = resolve(dir, rel || 'index.html');
    if (!inside(dir, path)) return notFound();
    try {
      if (!(await stat(path)).isFile()) return notFound();
      const type = STATIC_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
      return c.body(await readFile(path), 200, {
        'Content-Type': type,
        'Cache-Control': 'no-cache',
      });
    } catch {
      // Missing, unreadable, or a name the file system refuses (too long, …).
      return notFound();
    }
  };
  app.get('/vendor/pdfjs/*', serveFrom(deps.pdfjsDir, '/vendor/pdfjs/'));
  app.get('/*', serveFrom(deps.publicDir, '/'));
}
