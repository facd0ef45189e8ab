import { redactSecrets, redactUrl, registerSecret } from '@ragbridge/core-interfaces';

/** The OTLP/HTTP encodings ragbridge exports spans in. */
export type OtlpHttpProtocol = 'http/protobuf' | 'http/json';

/** Where and how spans are sent, from the standard `OTEL_*` variables. */
export interface TracingSettings {
  protocol: OtlpHttpProtocol;
  /** The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  url: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS` then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (secrets: never logged). */
  headers: Record<string, string>;
  /** `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT`, in milliseconds. */
  timeoutMillis?: number;
  /** Resource attributes: `OTEL_RESOURCE_ATTRIBUTES`, then `service.name` (`OTEL_SERVICE_NAME` or the app's) and `service.version`. */
  resource: Record<string, string>;
}

/** The app's names for its spans' resource. */
export interface TracingIdentity {
  /** `service.name` when `OTEL_SERVICE_NAME` is not set, e.g. `ragbridge-cli`. */
  serviceName: string;
  serviceVersion?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The instrumentation scope of the app's own spans. */
const TRACER_NAME = '@ragbridge/cli';

/** The spec's default endpoint of OTLP over HTTP. */
const DEFAULT_TRACES_URL = 'http://localhost:4318/v1/traces';

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
};

/** `key=value` pairs separated by commas, values percent-decoded (the format of the OTLP headers and resource variables). */
function keyValuePairs(raw: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of raw?.split(',') ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) continue;
    const key = item.slice(0, at).trim();
    let decoded = item.slice(at + 1).trim();
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      // Not percent-encoded after all: kept as written.
    }
    if (key) pairs[key] = decoded;
  }
  return pairs;
}

function tracesUrl(env: Env): string {
  const traces = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces) return traces;
  const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : DEFAULT_TRACES_URL;
}

/**
 * Reads the standard OpenTelemetry variables. Tracing is on when `OTEL_TRACES_EXPORTER` names
 * `otlp`, or, with it unset, when an OTLP endpoint variable is set; it is off when nothing is set,
 * with `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`. `problem` says why a setting that
 * asks for tracing cannot be honoured (then tracing is off).
 */
export function tracingSettings(env: Env, identity: TracingIdentity): { settings?: TracingSettings; problem?: string } {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return {};
  const exporters = value(env, 'OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (exporters) {
    if (exporters.includes('none')) return {};
    if (!exporters.includes('otlp')) return { problem: `OTEL_TRACES_EXPORTER=${exporters.join(',')}: ragbridge exports traces over OTLP only (otlp, or none); tracing is off` };
  } else if (!value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') && !value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')) return {};

  const protocol = (value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf').toLowerCase();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    return { problem: `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf or http/json (OTLP over HTTP, usually port 4318); tracing is off` };
  }
  const url = tracesUrl(env);
  try {
    new URL(url);
  } catch {
    return { problem: `the OTLP traces endpoint "${redactUrl(url)}" is not a URL (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); tracing is off` };
  }
  const headers = { ...keyValuePairs(env.OTEL_EXPORTER_OTLP_HEADERS), ...keyValuePairs(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) };
  const timeout = Number(value(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? value(env, 'OTEL_EXPORTER_OTLP_TIMEOUT'));
  const attributes = keyValuePairs(env.OTEL_RESOURCE_ATTRIBUTES);
  return {
    settings: {
      protocol,
      url,
      headers,
      ...(Number.isFinite(timeout) && timeout > 0 && { timeoutMillis: timeout }),
      resource: {
        ...(identity.serviceVersion && { 'service.version': identity.serviceVersion }),
        ...attributes,
        // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES.
        'service.name': value(env, 'OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? identity.serviceName,
      },
    },
  };
}

/** Tracing as started by {@link startTracing}. */
export interface Tracing {
  /** Where spans go, safe to print (no credentials). */
  readonly endpoint: string;
  readonly protocol: OtlpHttpProtocol;
  /** Runs `run` in a span named `name` (e.g. the CLI command), the parent of the spans it makes. */
  inSpan<T>(name: string, run: () => Promise<T>): Promise<T>;
  /**
   * Sends the spans still buffered and stops; never throws (a failure is reported through `warn`).
   * A collector that does not answer holds it for up to the export timeout (10 s by default).
   */
  shutdown(): Promise<void>;
}

/** Options of {@link startTracing}. */
export interface StartTracingOptions extends TracingIdentity {
  /** @default process.env */
  env?: Env;
  /** Where a problem goes: a setting that cannot be honoured, spans that could not be sent (each once). */
  warn: (message: string) => void;
}

/**
 * Registers the OpenTelemetry Node SDK when the `OTEL_*` variables ask for traces (see
 * {@link tracingSettings}): a tracer provider with the async-hooks context manager, a batch span
 * processor and the OTLP/HTTP exporter of the protocol (JSON or protobuf). The SDK is imported
 * only then, so with tracing off nothing is loaded. Returns undefined when tracing is off.
 */
export async function startTracing(options: StartTracingOptions): Promise<Tracing | undefined> {
  const { settings, problem } = tracingSettings(options.env ?? process.env, options);
  if (problem) options.warn(`ragbridge: ${problem}`);
  if (!settings) return undefined;
  // Header values are credentials (API keys of tracing backends): redacted wherever they might show.
  for (const header of Object.values(settings.headers)) registerSecret(header);

  const [{ trace, SpanStatusCode }, { NodeTracerProvider, BatchSpanProcessor }, { defaultResource, resourceFromAttributes }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    settings.protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const endpoint = redactUrl(settings.url);
  let sendFailed = false;
  const exporter = reportingFailures(
    new OTLPTraceExporter({ url: settings.url, headers: settings.headers, ...(settings.timeoutMillis !== undefined && { timeoutMillis: settings.timeoutMillis }) }),
    (reason) => {
      sendFailed = true;
      options.warn(`ragbridge: traces could not be sent to ${endpoint} (${reason}); check OTEL_EXPORTER_OTLP_ENDPOINT and that the collector is running`);
    },
  );
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(settings.resource)),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return {
    endpoint,
    protocol: settings.protocol,
    inSpan: (name, run) =>
      trace.getTracer(TRACER_NAME, options.serviceVersion).startActiveSpan(name, async (span) => {
        try {
          return await run();
        } catch (error) {
          span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      }),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        // The last spans failing to send was reported already.
        if (!sendFailed) options.warn(`ragbridge: tracing did not shut down cleanly (${redactSecrets(error instanceof Error ? error.message : String(error))})`);
      }
    },
  };
}

/** The part of an SDK span exporter this module uses. */
interface SpanExporterLike<S> {
  export(spans: S[], done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/** The exporter, reporting its first failed export (a collector that is down would otherwise go unnoticed). */
function reportingFailures<S>(exporter: SpanExporterLike<S>, report: (reason: string) => void): SpanExporterLike<S> {
  let reported = false;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        // ExportResultCode.SUCCESS is 0.
        if (result.code !== 0 && !reported) {
          reported = true;
          report(redactSecrets(result.error?.message ?? 'export failed'));
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
