import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

/** An attribute value as OTLP carries it, decoded. */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

/** A span as an OTLP/HTTP receiver got it (either encoding), with ids as lower-case hex. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, OtlpValue>;
  events: Array<{ name: string; attributes: Record<string, OtlpValue> }>;
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  /** The instrumentation scope's name. */
  scope: string;
  resource: Record<string, OtlpValue>;
}

/** One export request as received. */
export interface ReceivedExport {
  path: string;
  contentType: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** `json` or `protobuf`, from the content type. */
  encoding: 'json' | 'protobuf';
  spans: ReceivedSpan[];
}

/** A running {@link startOtlpReceiver}. */
export interface OtlpReceiver {
  /** Base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT` (the receiver serves `/v1/traces`). */
  url: string;
  readonly exports: readonly ReceivedExport[];
  /** Every span received so far. */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

/**
 * The OTLP trace messages (opentelemetry-proto: collector/trace/v1, trace/v1, common/v1,
 * resource/v1), the fields a receiver reads.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; uint32 dropped_events_count = 12; Status status = 15;
  message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const exportRequest = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType('otlp.ExportTraceServiceRequest');

/** OTLP's JSON and protobuf (as `toObject` gives it) share this shape, camel-cased. */
interface AnyValueLike {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueLike[] };
  kvlistValue?: { values?: KeyValueLike[] };
  bytesValue?: string | Uint8Array;
}
interface KeyValueLike {
  key: string;
  value?: AnyValueLike;
}
interface SpanLike {
  traceId: string | Uint8Array;
  spanId: string | Uint8Array;
  parentSpanId?: string | Uint8Array;
  name: string;
  kind?: number;
  attributes?: KeyValueLike[];
  events?: Array<{ name: string; attributes?: KeyValueLike[] }>;
  status?: { code?: number; message?: string };
}
interface RequestLike {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValueLike[] }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: SpanLike[] }> }>;
}

/** Ids: hex strings in OTLP/JSON, bytes in protobuf. */
const hex = (id: string | Uint8Array | undefined): string | undefined => {
  if (id === undefined) return undefined;
  const text = typeof id === 'string' ? id.toLowerCase() : Buffer.from(id).toString('hex');
  return text === '' ? undefined : text;
};

function decodeValue(value: AnyValueLike | undefined): OtlpValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue) return decodeAttributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return hex(value.bytesValue) ?? '';
  return null;
}

const decodeAttributes = (list: KeyValueLike[] | undefined): Record<string, OtlpValue> => Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));

function spansOf(request: RequestLike): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = decodeAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span): ReceivedSpan => {
        const parentSpanId = hex(span.parentSpanId);
        return {
          name: span.name,
          traceId: hex(span.traceId) ?? '',
          spanId: hex(span.spanId) ?? '',
          ...(parentSpanId !== undefined && { parentSpanId }),
          kind: span.kind ?? 0,
          attributes: decodeAttributes(span.attributes),
          events: (span.events ?? []).map((event) => ({ name: event.name, attributes: decodeAttributes(event.attributes) })),
          status: { code: span.status?.code ?? 0, ...(span.status?.message && { message: span.status.message }) },
          scope: scopeSpans.scope?.name ?? '',
          resource,
        };
      }),
    );
  });
}

function decodeExport(contentType: string, body: Buffer): { encoding: ReceivedExport['encoding']; request: RequestLike } {
  if (contentType.startsWith('application/json')) return { encoding: 'json', request: JSON.parse(body.toString('utf8')) as RequestLike };
  if (contentType.startsWith('application/x-protobuf')) {
    const message = exportRequest.decode(body);
    return { encoding: 'protobuf', request: exportRequest.toObject(message, { longs: Number, enums: Number, arrays: false, defaults: false }) as RequestLike };
  }
  throw new Error(`unsupported content type "${contentType}"`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/**
 * A trace receiver speaking OTLP/HTTP on 127.0.0.1 (`POST /v1/traces`, `application/json` or
 * `application/x-protobuf`, optionally gzip): it decodes each export and keeps its spans, for
 * tests of what an app sends to a collector.
 */
export async function startOtlpReceiver(options: { port?: number; onExport?: (received: ReceivedExport) => void } = {}): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method !== 'POST' || path !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const contentType = String(req.headers['content-type'] ?? '');
      try {
        const { encoding, request } = decodeExport(contentType, await readBody(req));
        const headers = Object.fromEntries(Object.entries(req.headers).map(([name, v]) => [name.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
        const received: ReceivedExport = { path, contentType, headers, encoding, spans: spansOf(request) };
        exports.push(received);
        options.onExport?.(received);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(error instanceof Error ? error.message : String(error));
        return;
      }
      // An empty ExportTraceServiceResponse: full success, in the request's encoding.
      if (contentType.startsWith('application/json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(0));
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans: () => exports.flatMap((e) => e.spans),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
