import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';

/** A JSON error body: `{ error: { code, message } }`. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/**
 * Strict security headers on every response: a self-only Content-Security-Policy (pdf.js runs its
 * worker from a blob URL), no framing, no MIME sniffing, no referrer, no powerful features.
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  c.header('Strict-Transport-Security', 'max-age=31536000');
};

/** The client a request comes from: the first `X-Forwarded-For` hop (Spaces run behind a proxy), else the socket address. */
export function clientId(c: Context): string {
  const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  if (forwarded) return forwarded;
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Per-client rate limit (a sliding one-minute window). Over the limit: 429 with `Retry-After`.
 */
export function rateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler {
  const hits = new Map<string, number[]>();
  return async (c, next) => {
    const id = clientId(c);
    const t = now();
    const recent = (hits.get(id) ?? []).filter((at) => t - at < 60_000);
    if (recent.length >= perMinute) {
      const retryAfter = Math.max(1, Math.ceil((60_000 - (t - (recent[0] as number))) / 1000));
      c.header('Retry-After', String(retryAfter));
      return c.json(errorBody('rate_limited', `too many requests from this client: at most ${perMinute} per minute; retry in ${retryAfter} s`), 429);
    }
    recent.push(t);
    hits.set(id, recent);
    if (hits.size > 10_000) for (const [key, list] of hits) if (list.every((at) => t - at >= 60_000)) hits.delete(key);
    await next();
    return undefined;
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Admin routes: need `Authorization: Bearer <ADMIN_TOKEN>`; closed (403) when no admin token is configured. */
export function requireAdmin(adminToken: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!adminToken) return c.json(errorBody('admin_disabled', 'admin routes are disabled: set ADMIN_TOKEN to enable deletion, re-index and budget changes'), 403);
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!given) return c.json(errorBody('unauthorized', 'this route needs the admin token: send "Authorization: Bearer <ADMIN_TOKEN>"'), 401);
    if (!sameSecret(given, adminToken)) return c.json(errorBody('forbidden', 'the admin token is wrong'), 403);
    await next();
    return undefined;
  };
}

/**
 * At most `limit` long requests (streamed answers) at once; more wait in line (the configuration's
 * "more wait"), up to `maxWaiting` of them — beyond that, or after `maxWaitMs` in line, `enter`
 * resolves undefined and the caller answers 429 so clients back off. The release function must
 * be called when the request ends (streams release when they end).
 */
export function createGate(limit: number, maxWaiting = 200, maxWaitMs = 30_000): { enter(): Promise<(() => void) | undefined>; readonly active: number; readonly waiting: number } {
  let active = 0;
  const line: Array<(granted: boolean) => void> = [];
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = line.shift();
      if (next) next(true);
      else active--;
    };
  };
  return {
    async enter() {
      if (active < limit) {
        active++;
        return releaser();
      }
      if (line.length >= maxWaiting) return undefined;
      const granted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          const i = line.indexOf(grant);
          if (i >= 0) line.splice(i, 1);
          resolve(false);
        }, maxWaitMs);
        const grant = (ok: boolean): void => {
          clearTimeout(timer);
          resolve(ok);
        };
        line.push(grant);
      });
      // A granted slot is handed over by the releasing request: `active` stays the same.
      return granted ? releaser() : undefined;
    },
    get active() {
      return active;
    },
    get waiting() {
      return line.length;
    },
  };
}
