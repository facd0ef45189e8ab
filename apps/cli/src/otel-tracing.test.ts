import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { ingestCommand } from './ingest-command.js';
import { cliVersion } from './main.js';
import { tracingSettings } from './otel-tracing.js';

// Imported lazily, as compare --fake-services does (the test kit is a dev dependency of the CLI).
const { fetchToFake, startFakeHf, startOtlpReceiver } = await import('@ragbridge/testkit');

const identity = { serviceName: 'ragbridge-cli', serviceVersion: '1.2.3' };

describe('tracing settings from the OTEL_* variables', () => {
  it('off when nothing is set, when disabled, or with the exporter none', () => {
    expect(tracingSettings({}, identity)).toEqual({});
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, identity)).toEqual({});
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, identity)).toEqual({});
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }, identity)).toEqual({});
  });

  it('an endpoint turns it on: /v1/traces appended to the base, a traces endpoint used as given, protobuf by default', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, identity).settings).toEqual({
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
      headers: {},
      resource: { 'service.name': 'ragbridge-cli', 'service.version': '1.2.3' },
    });
    const traces = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, identity);
    expect(traces.settings).toMatchObject({ url: 'https://b/otlp/traces', protocol: 'http/json' });
    // OTEL_TRACES_EXPORTER=otlp alone: the spec's default endpoint.
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }, identity).settings?.url).toBe('http://localhost:4318/v1/traces');
  });

  it('headers (percent-decoded, the traces ones last), timeout, service name and resource attributes', () => {
    const { settings } = tracingSettings(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=search',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=rag',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,service.name=from-attributes',
        OTEL_SERVICE_NAME: 'docs-qa',
      },
      identity,
    );
    expect(settings).toMatchObject({
      headers: { authorization: 'Bearer abc', 'x-team': 'rag' },
      timeoutMillis: 2500,
      resource: { 'service.name': 'docs-qa', 'service.version': '1.2.3', 'deployment.environment.name': 'staging' },
    });
  });

  it('what it cannot honour is a problem, and tracing stays off: gRPC, another exporter, a bad URL', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, identity)).toEqual({
      problem: 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http/protobuf or http/json (OTLP over HTTP, usually port 4318); tracing is off',
    });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, identity).problem).toMatch(/^OTEL_TRACES_EXPORTER=zipkin: ragbridge exports traces over OTLP only/);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'localhost 4318' }, identity).problem).toMatch(/is not a URL/);
  });
});

/** Runs the CLI's bin as a user would, with `env` added to this process's environment. */
function runBin(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = new URL('../bin/ragbridge.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, RAGBRIDGE_PROFILE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ragbridge ask with OTEL_* set, against an OTLP/HTTP receiver on loopback', () => {
  it('hf-spaces on the fake services: the command, pipeline and GenAI model spans in one trace, sent as protobuf before exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cli-otel-'));
    writeFileSync(join(dir, 'cache.md'), '# Cache\n\nThe cache evicts the least recently used entry after 512 entries.\n');
    writeFileSync(join(dir, 'logs.md'), '# Logs\n\nLog files rotate every night and are kept for fourteen days.\n');
    const store = join(dir, 'store.db');
    // The store, embedded by the hf-spaces embedder on a fake (its vectors are those of the CLI's own fakes).
    const hf = await startFakeHf({ token: 'hf_cliTracingTestToken_0123456789' });
    try {
      const ingested = await ingestCommand([dir], {
        store,
        profile: 'hf-spaces',
        yes: true,
        workers: 0,
        env: { HF_TOKEN: 'hf_cliTracingTestToken_0123456789', HF_HUB_OFFLINE: '1' },
        fetch: fetchToFake(hf.url),
        out: sink().stream,
        err: sink().stream,
      });
      expect(ingested).toBe(0);
    } finally {
      await hf.close();
    }

    const receiver = await startOtlpReceiver();
    const secret = 'otlp-api-key-0123456789';
    try {
      const run = await runBin(['ask', 'How long are log files kept?', '--profile', 'hf-spaces', '--fake-services', '--store', store], {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${secret}`,
        OTEL_SERVICE_NAME: 'ragbridge-cli-test',
      }, dir);
      expect(run.stderr).not.toMatch(/traces could not be sent/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/fourteen days/);
      expect(run.stdout + run.stderr).not.toContain(secret);

      // Sent before the process exited: everything is here now.
      expect(receiver.exports.length).toBeGreaterThan(0);
      for (const sent of receiver.exports) {
        expect(sent).toMatchObject({ encoding: 'protobuf', contentType: 'application/x-protobuf' });
        expect(sent.headers['x-api-key']).toBe(secret);
      }
      const spans = receiver.spans();
      const byName = (name: string) => spans.filter((span) => span.name === name);
      const parentOf = (name: string) => spans.find((span) => span.spanId === byName(name)[0]?.parentSpanId)?.name;
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
      expect(byName('ragbridge ask')[0]).toMatchObject({ scope: '@ragbridge/cli', resource: { 'service.name': 'ragbridge-cli-test', 'service.version': cliVersion() } });
      expect(byName('ragbridge ask')[0]?.parentSpanId).toBeUndefined();
      expect(parentOf('ragbridge.ask')).toBe('ragbridge ask');
      expect(parentOf('ragbridge.retrieve')).toBe('ragbridge.ask');
      expect(parentOf('ragbridge.answer')).toBe('ragbridge.ask');

      const [chat] = byName('chat openai/gpt-oss-20b');
      expect(parentOf('chat openai/gpt-oss-20b')).toBe('ragbridge.answer');
      expect(chat).toMatchObject({ kind: 3, scope: '@ragbridge/runtime' });
      expect(chat?.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'hf-inference-providers',
        'gen_ai.request.model': 'openai/gpt-oss-20b',
        'gen_ai.response.model': 'openai/gpt-oss-20b',
        'gen_ai.response.finish_reasons': ['stop'],
      });
      expect(chat?.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(chat?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(chat?.attributes['ragbridge.usage.cost_usd']).toBeGreaterThan(0);
      const [embed] = byName('embeddings BAAI/bge-small-en-v1.5');
      expect(parentOf('embeddings BAAI/bge-small-en-v1.5')).toBe('ragbridge.retrieve.dense');
      expect(embed?.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'BAAI/bge-small-en-v1.5' });
      expect(JSON.stringify(spans)).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  }, 120_000);
});
