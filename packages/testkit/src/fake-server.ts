import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The raw body text. */
  body: string;
  /** The parsed JSON body, when it was JSON. */
  json: unknown;
  /** The route that handled it (e.g. `router.chat`), or `unmatched`. */
  route: string;
}

/**
 * A programmed failure. The first rule whose `route`/`method`/`path` match applies to the request;
 * it is used `times` times (default: until cleared).
 */
export interface FaultRule {
  /** Route name to match (see each fake's `routes`); omit to match every route. */
  route?: string;
  method?: string;
  path?: string | RegExp;
  /** Answer with this status instead of the real handler. */
  status?: number;
  /** Body for `status` (objects are sent as JSON). */
  body?: string | object;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Content type for a string body. @default 'application/json' (or text/plain for non-JSON) */
  contentType?: string;
  /** Wait this long before handling (the real handler still answers unless another field says otherwise). */
  latencyMs?: number;
  /** Never answer; the connection stays open until the client gives up or the server closes. */
  hang?: boolean;
  /** Destroy the connection without any response. */
  dropConnection?: boolean;
  /** For streaming answers: send this many events, then destroy the connection. For others: send half the body, then destroy. */
  dropAfterEvents?: number;
  /** Answer 200 with a body that is not valid JSON. */
  malformed?: boolean;
  /** How many requests the rule applies to. @default Infinity */
  times?: number;
}

interface ActiveRule extends FaultRule {
  remaining: number;
}

/** Everything a route handler needs. */
export interface FakeContext {
  req: IncomingMessage;
  res: ServerResponse;
  request: RecordedRequest;
  params: Record<string, string>;
  /** Set when a fault asks a stream to break after N events. */
  dropAfterEvents: number | undefined;
  json(status: number, value: unknown, headers?: Record<string, string>): void;
  text(status: number, text: string, contentType?: string, headers?: Record<string, string>): void;
  /** Writes server-sent events (`data: …\n\n`), honouring `dropAfterEvents`. */
  sse(events: Iterable<string>, headers?: Record<string, string>): Promise<void>;
  /** Writes newline-delimited JSON, honouring `dropAfterEvents`. */
  ndjson(lines: Iterable<unknown>, headers?: Record<string, string>): Promise<void>;
}

/** A route: method, a path pattern with `:param` / `*param` segments, and its handler. */
export interface FakeRoute {
  name: string;
  method: string;
  pattern: string;
  handle(ctx: FakeContext): void | Promise<void>;
}

/** Options every fake takes. */
export interface FakeServerOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Host to bind. Only loopback is allowed. @default '127.0.0.1' */
  host?: string;
  /** Latency added to every request, e.g. to benchmark batching. @default 0 */
  latencyMs?: number;
  /** Delay between stream events. @default 0 */
  streamDelayMs?: number;
}

function compile(pattern: string): (path: string) => Record<string, string> | undefined {
  const keys: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '([^/]+)';
      }
      if (segment.startsWith('*')) {
        keys.push(segment.slice(1));
        return '(.+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${source}/?$`);
  return (path) => {
    const match = regex.exec(path);
    if (!match) return undefined;
    return Object.fromEntries(keys.map((k, i) => [k, decodeURIComponent(match[i + 1] ?? '')]));
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The HTTP machinery shared by the fakes: routing, a request log, programmable faults, and
 * stream writers. Listens on 127.0.0.1 only.
 */
export class FakeServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly rules: ActiveRule[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly compiled: Array<FakeRoute & { match: ReturnType<typeof compile> }>;
  private baseUrl = '';
  latencyMs: number;
  streamDelayMs: number;

  constructor(
    readonly serviceName: string,
    routes: FakeRoute[],
    private readonly options: FakeServerOptions = {},
  ) {
    this.compiled = routes.map((r) => ({ ...r, match: compile(r.pattern) }));
    this.latencyMs = options.latencyMs ?? 0;
    this.streamDelayMs = options.streamDelayMs ?? 0;
    this.server = createServer((req, res) => {
      void this.dispatch(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `fake ${this.serviceName} failed: ${String(error)}` }));
        } else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Route names this fake serves, for fault rules. */
  get routes(): string[] {
    return this.compiled.map((r) => r.name);
  }

  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.baseUrl;
  }

  async listen(): Promise<this> {
    const host = this.options.host ?? '127.0.0.1';
    if (!/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host)) throw new Error(`fake services bind to loopback only, not ${host}`);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds a fault rule; returns a function that removes it. */
  fault(rule: FaultRule): () => void {
    const active: ActiveRule = { ...rule, remaining: rule.times ?? Infinity };
    this.rules.push(active);
    return () => {
      const i = this.rules.indexOf(active);
      if (i >= 0) this.rules.splice(i, 1);
    };
  }

  /** Removes every fault rule. */
  clearFaults(): void {
    this.rules.length = 0;
  }

  /** Forgets recorded requests. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Requests that hit a given route. */
  requestsTo(route: string): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  private takeRule(request: RecordedRequest): ActiveRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.route === undefined || r.route === request.route) &&
        (r.method === undefined || r.method.toUpperCase() === request.method) &&
        (r.path === undefined || (typeof r.path === 'string' ? r.path === request.path : r.path.test(request.path))),
    );
    if (rule) rule.remaining--;
    return rule;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    let route: (typeof this.compiled)[number] | undefined;
    let params: Record<string, string> = {};
    for (const candidate of this.compiled) {
      if (candidate.method !== method) continue;
      const matched = candidate.match(url.pathname);
      if (matched) {
        route = candidate;
        params = matched;
        break;
      }
    }
    const request: RecordedRequest = { method, path: url.pathname, query: url.searchParams, headers, body, json, route: route?.name ?? 'unmatched' };
    this.requests.push(request);

    const rule = this.takeRule(request);
    const latency = this.latencyMs + (rule?.latencyMs ?? 0);
    if (latency > 0) await sleep(latency);
    if (rule?.hang) return; // keep the connection open, answer nothing
    if (rule?.dropConnection) {
      req.socket.destroy();
      return;
    }
    const ctx = this.context(req, res, request, params, rule?.dropAfterEvents);
    if (rule?.status !== undefined) {
      const ruleBody = rule.body ?? '';
      if (typeof ruleBody === 'string') {
        const isJson = /^\s*[[{]/.test(ruleBody);
        ctx.text(rule.status, ruleBody, rule.contentType ?? (isJson ? 'application/json' : 'text/plain; charset=utf-8'), rule.headers);
      } else ctx.json(rule.status, ruleBody, rule.headers);
      return;
    }
    if (rule?.malformed) {
      ctx.text(200, '{"id":"broken","choices":[{"message":{"content":"trunc', 'application/json', rule.headers);
      return;
    }
    if (!route) {
      ctx.json(404, { error: `fake ${this.serviceName}: no route for ${method} ${url.pathname}` });
      return;
    }
    await route.handle(ctx);
  }

  private context(
    req: IncomingMessage,
    res: ServerResponse,
    request: RecordedRequest,
    params: Record<string, string>,
    dropAfterEvents: number | undefined,
  ): FakeContext {
    const writeBody = (status: number, text: string, contentType: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': contentType, ...headers });
      if (dropAfterEvents !== undefined) {
        // Cut a plain body in the middle: send half of it, then drop the connection.
        res.write(text.slice(0, Math.floor(text.length / 2)));
        setImmediate(() => res.destroy());
        return;
      }
      res.end(text);
    };
    const writeStream = async (
      pieces: Iterable<string>,
      contentType: string,
      headers: Record<string, string> = {},
    ): Promise<void> => {
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', ...headers });
      res.flushHeaders();
      let sent = 0;
      for (const piece of pieces) {
        if (dropAfterEvents !== undefined && sent >= dropAfterEvents) {
          await new Promise((resolve) => setImmediate(resolve));
          res.destroy();
          return;
        }
        if (res.destroyed || req.socket.destroyed) return;
        res.write(piece);
        sent++;
        if (this.streamDelayMs > 0) await sleep(this.streamDelayMs);
        else await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    };
    return {
      req,
      res,
      request,
      params,
      dropAfterEvents,
      json: (status, value, headers) => writeBody(status, JSON.stringify(value), 'application/json', headers),
      text: (status, text, contentType = 'text/plain; charset=utf-8', headers) => writeBody(status, text, contentType, headers),
      sse: (events, headers) =>
        writeStream(
          (function* () {
            for (const e of events) yield `data: ${e}\n\n`;
          })(),
          'text/event-stream',
          headers,
        ),
      ndjson: (lines, headers) =>
        writeStream(
          (function* () {
            for (const l of lines) yield `${JSON.stringify(l)}\n`;
          })(),
          'application/x-ndjson',
          headers,
        ),
    };
  }
}
