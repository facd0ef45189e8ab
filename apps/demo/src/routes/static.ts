import { existsSync } from 'node:fs';
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

/** The web UI's files and pdf.js's browser build. */
export function registerStaticRoutes(app: Hono, ctx: AppContext): void {
  const { deps } = ctx;
  const serveFrom = (dir: string, prefix: string) => async (c: Context) => {
    const rel = decodeURIComponent(c.req.path.slice(prefix.length)) || 'index.html';
    const path = resolve(dir, rel);
    if (!inside(dir, path) || !existsSync(path) || !(await stat(path)).isFile()) return c.json(errorBody('not_found', `no file ${c.req.path}`), 404);
    const type = STATIC_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    return c.body(await readFile(path), 200, {
      'Content-Type': type,
      'Cache-Control': 'no-cache',
    });
  };
  app.get('/vendor/pdfjs/*', serveFrom(deps.pdfjsDir, '/vendor/pdfjs/'));
  app.get('/*', serveFrom(deps.publicDir, '/'));
}
