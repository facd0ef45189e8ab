import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { ErrorReply } from './request-schemas.js';
import type { TrustProxy } from './settings.js';

/** A JSON error body: `{ error: { code, message, field? } }`, `field` naming the request field at fault. */
export function errorBody(code: string, message: string, field?: string): { error: { code: string; message: string; field?: string } } {
  return { error: { code, message, ...(field !== undefined && { field }) } };
}

/** The API's refusals of a request body, as {@link errorBody} JSON. */
export const replyError: ErrorReply = (c, status, code, message, field) => c.json(errorBody(code, message, field), status);

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Malformed percent-encoding in the path or query (`/%E0%A4%A`): 400 before any route decodes it. */
export const wellFormedUrl: MiddlewareHandler = async (c, next) => {
  const { pathname, search } = new URL(c.req.url);
  if (!decodes(pathname + search)) return c.json(errorBody('bad_request', 'the URL has malformed percent-encoding'), 400);
  await next();
  return undefined;
};

/**
 * Strict security headers on every response: a self-only Content-Security-Policy (pdf.js runs its
 * worker from a blob URL), no framing, no MIME sniffing, no referrer, no powerful features.
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  // A route that set a stricter policy keeps it (the originals of uploaded files are sandboxed).
  if (!c.res.headers.has('Content-Security-Policy'))
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

/** Longest client id kept (an entry that is not an address is kept as written, cut to this). */
const MAX_ID_LENGTH = 64;

/** An address as one client id: port and brackets dropped, IPv4-mapped IPv6 as IPv4; undefined when not an address. */
function normalizeAddress(raw: string): string | undefined {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1] as string;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  address = address.split('%')[0] as string;
  if (/^::ffff:/i.test(address) && isIPv4(address.slice(7))) address = address.slice(7);
  return isIP(address) ? address.toLowerCase() : undefined;
}

function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/**
 * Picks the client among the connection's peer address (undefined when the app is called
 * in-process, with no socket) and the `X-Forwarded-For` entries, oldest first. Each proxy appends
 * the address it received the request from, so only entries added by trusted proxies — counted
 * from the right — can be believed; the rest are whatever the client wrote.
 */
export function pickClient(peer: string | undefined, forwarded: readonly string[], trust: TrustProxy, trusted?: BlockList): string {
  const id = (raw: string): string => normalizeAddress(raw) ?? raw.trim().slice(0, MAX_ID_LENGTH);
  // In-process calls (app.request, app.fetch from an embedding server) have no socket: the caller
  // stands where the nearest proxy would, so the entry it wrote (the rightmost) is believed.
  const peerId = peer === undefined ? undefined : id(peer);
  if (Array.isArray(trust)) {
    if (peerId !== undefined && !isTrusted(peerId, trusted)) return peerId;
    // Walk left past the trusted proxies: the first entry that is not one of them is the client.
    for (let i = forwarded.length - 1; i > 0; i--) {
      const entry = id(forwarded[i] as string);
      if (!isTrusted(entry, trusted)) return entry;
    }
    return forwarded[0] === undefined ? (peerId ?? 'unknown') : id(forwarded[0]);
  }
  const hops = trust === false ? (peerId === undefined ? 1 : 0) : trust;
  if (hops === 0 || forwarded.length === 0) return peerId ?? 'unknown';
  return id(forwarded[Math.max(0, forwarded.length - hops)] as string);
}

function isTrusted(address: string, trusted: BlockList | undefined): boolean {
  const type = isIP(address);
  return type !== 0 && trusted !== undefined && trusted.check(address, type === 4 ? 'ipv4' : 'ipv6');
}

/**
 * CORS for the API: the configured origins only (`*`: any), their preflights answered; undefined
 * when none is configured, so no CORS header is ever sent.
 */
export function apiCors(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowHeaders: ['Content-Type', 'Authorization'],
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  });
}

/** The client a request comes from, by {@link pickClient}: the address rate limits count per. */
export function clientIdentifier(trust: TrustProxy): (c: Context) => string {
  const trusted = Array.isArray(trust) ? proxyList(trust) : undefined;
  return (c) => {
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    const forwarded = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    return pickClient(incoming ? (incoming.socket?.remoteAddress ?? 'unknown') : undefined, forwarded, trust, trusted);
  };
}

/** Clients tracked at once by a rate limit; past it the oldest are forgotten (bounded memory under address churn). */
const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Per-client rate limit (a sliding one-minute window). Over the limit: 429 with `Retry-After`.
 */
export function rateLimit(perMinute: number, clientId: (c: Context) => string, now: () => number = Date.now): MiddlewareHandler {
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
    // Re-inserted last, so the map's order is least recently seen first.
    hits.delete(id);
    hits.set(id, recent);
    for (const key of hits.keys()) {
      if (hits.size <= MAX_TRACKED_CLIENTS) break;
      hits.delete(key);
    }
    await next();
    return undefined;
  };
}

/** Compares a given secret with the expected one in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(c: Context): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim() || undefined;
}

/** Admin routes: need `Authorization: Bearer <ADMIN_TOKEN>`; closed (403) when no admin token is configured. */
export function requireAdmin(adminToken: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!adminToken) return c.json(errorBody('admin_disabled', 'admin routes are disabled: set ADMIN_TOKEN to enable deletion, re-index and budget changes'), 403);
    const given = bearerToken(c);
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
