import { startOtlpReceiver, writeSimplePdf } from '@ragbridge/testkit';
import { describe, expect, it } from 'vitest';
import { startDemoOnFakes } from './__fixtures__/demo-on-fakes.js';
import { eventData, parseSse } from './__fixtures__/sse.js';
import { startDemoTracing } from './demo-tracing.js';

const guide = writeSimplePdf({
  title: 'Vector guide',
  pages: [{ lines: [{ text: 'Vector type', size: 18 }, 'The vtype register holds the element width SEW and the register grouping LMUL.'] }],
});

describe('demo with OTEL_* set, against an OTLP/HTTP receiver on loopback', () => {
  it('hf-spaces on the fakes: one question is one trace of pipeline and GenAI model spans, sent as OTLP JSON', async () => {
    const receiver = await startOtlpReceiver();
    const logs: string[] = [];
    const tracing = await startDemoTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer otlp-secret-token' },
      (line) => logs.push(line),
    );
    expect(tracing).toBeDefined();
    expect(logs).toEqual([`ragbridge demo: traces go to ${receiver.url}/v1/traces (OTLP http/json)`]);
    const demo = await startDemoOnFakes({ profile: 'hf-spaces' });
    try {
      const form = new FormData();
      form.append('file', new File([guide as Uint8Array<ArrayBuffer>], 'vector-guide.pdf'));
      const { job } = (await (await fetch(`${demo.url}/api/documents`, { method: 'POST', body: form })).json()) as { job: string };
      parseSse(await (await fetch(`${demo.url}/api/jobs/${job}`)).text());
      const response = await fetch(`${demo.url}/api/ask`, { method: 'POST', body: JSON.stringify({ question: 'What does the vtype register hold?' }), headers: { 'content-type': 'application/json' } });
      const answer = eventData<{ mode: string }>(parseSse(await response.text()), 'answer');
      expect(answer.mode).toBe('generative');
    } finally {
      await demo.close();
      await tracing?.shutdown();
      await receiver.close();
    }

    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(receiver.exports.every((sent) => sent.encoding === 'json' && sent.headers.authorization === 'Bearer otlp-secret-token')).toBe(true);
    const spans = receiver.spans();
    const [ask] = spans.filter((span) => span.name === 'ragbridge.ask');
    expect(ask).toMatchObject({ resource: { 'service.name': 'ragbridge-demo' }, attributes: { 'ragbridge.ask.streamed': true } });
    const question = spans.filter((span) => span.traceId === ask?.traceId);
    const named = (name: string) => question.find((span) => span.name === name);
    const parentOf = (name: string) => question.find((span) => span.spanId === named(name)?.parentSpanId)?.name;
    expect(parentOf('ragbridge.retrieve')).toBe('ragbridge.ask');
    expect(parentOf('embeddings BAAI/bge-small-en-v1.5')).toBe('ragbridge.retrieve.dense');
    expect(parentOf('chat openai/gpt-oss-20b')).toBe('ragbridge.answer');
    expect(named('chat openai/gpt-oss-20b')?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'hf-inference-providers',
      'gen_ai.request.model': 'openai/gpt-oss-20b',
      'gen_ai.response.model': 'openai/gpt-oss-20b',
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
      'gen_ai.response.finish_reasons': ['stop'],
      'ragbridge.usage.cost_usd': expect.any(Number),
    });
    expect(logs.join('\n')).not.toContain('otlp-secret-token');
  }, 120_000);
});
