import { startTracing, type Tracing } from '@ragbridge/cli/tracing';

/**
 * OpenTelemetry for the demo server, as the CLI has it: spans of every question (pipeline stages
 * and GenAI model calls) sent over OTLP/HTTP when the `OTEL_*` variables ask for it, as service
 * `ragbridge-demo` unless `OTEL_SERVICE_NAME` says otherwise. Off (and the SDK not loaded) when
 * they are unset. Header values are never logged.
 */
export async function startDemoTracing(env: Readonly<Record<string, string | undefined>> = process.env, log: (line: string) => void = console.log): Promise<Tracing | undefined> {
  const tracing = await startTracing({ env, serviceName: 'ragbridge-demo', warn: log });
  if (tracing) log(`ragbridge demo: traces go to ${tracing.endpoint} (OTLP ${tracing.protocol})`);
  return tracing;
}
