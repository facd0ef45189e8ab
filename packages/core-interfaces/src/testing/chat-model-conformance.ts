import type { ChatCallOptions, ChatModelV1, ChatStreamPart } from '../chat-model.js';
import { BadInputError } from '../errors.js';
import type { UsageEvent } from '../usage.js';
import {
  abortedSignal,
  asConformanceChecks,
  captureRejection,
  deadlineSignal,
  ensure,
  ensureAbortError,
  ensureFaultError,
  ensureModelShape,
  UNICODE_SAMPLE,
  withFault,
  type ConformanceCheck,
  type ConformanceOptions,
} from './conformance-core.js';
import { ALL_FAULT_KINDS, type FaultKind } from './conformance-faults.js';
import { registerConformanceChecks } from './conformance-register.js';

/** Options of the chat conformance suite. */
export interface ChatModelConformanceOptions extends ConformanceOptions<ChatModelV1> {
  /** True when the backend quotes the prompt's numbered sources in its reply (fakes, mocks). */
  quotesContext?: boolean;
}

const PROMPT: ChatCallOptions = {
  messages: [
    { role: 'system', content: 'Answer from the numbered sources and cite them as [n].' },
    {
      role: 'user',
      content:
        'Sources:\n[1] The RV32I base integer instruction set has 32 general-purpose registers.\n[2] The FDA guidance covers software validation.\n\nQuestion: How many registers does RV32I have?',
    },
  ],
  maxTokens: 64,
  temperature: 0,
};

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function ensureUsage(usage: UsageEvent | undefined, model: ChatModelV1, streamed: boolean, what: string): void {
  ensure(usage !== undefined && typeof usage === 'object', `${what}: usage is missing`);
  ensure(usage.operation === 'chat', `${what}: usage.operation should be "chat", got ${String(usage.operation)}`);
  ensure(usage.backend === model.backend, `${what}: usage.backend should be "${model.backend}", got ${String(usage.backend)}`);
  ensure(usage.modelId === model.modelId, `${what}: usage.modelId should be "${model.modelId}", got ${String(usage.modelId)}`);
  ensure(usage.streamed === streamed, `${what}: usage.streamed should be ${streamed}`);
  ensure(Number.isFinite(usage.inputTokens) && usage.inputTokens > 0, `${what}: usage.inputTokens should be > 0, got ${usage.inputTokens}`);
  ensure(Number.isFinite(usage.outputTokens) && usage.outputTokens > 0, `${what}: usage.outputTokens should be > 0, got ${usage.outputTokens}`);
  ensure(Number.isFinite(usage.latencyMs) && usage.latencyMs >= 0, `${what}: usage.latencyMs should be a non-negative number`);
  ensure(Number.isFinite(usage.startedAt) && usage.startedAt > 0, `${what}: usage.startedAt should be epoch milliseconds`);
  ensure(usage.costUsd === null || Number.isFinite(usage.costUsd), `${what}: usage.costUsd should be null or a number`);
  ensure(usage.cacheHit === false && usage.fallbackStep === 0, `${what}: a bare model reports cacheHit false and fallbackStep 0`);
}

const FINISH_REASONS = new Set(['stop', 'length', 'content-filter', 'other']);

/** The checks of the ChatModel contract, runnable without vitest. */
export function chatModelConformanceChecks(options: ChatModelConformanceOptions): ConformanceCheck[] {
  const create = async (): Promise<ChatModelV1> => options.create();
  const checks: ConformanceCheck[] = [
    {
      id: 'contract-shape',
      description: 'declares specificationVersion v1, a backend and a model id',
      async run() {
        ensureModelShape(await create());
      },
    },
    {
      id: 'generate-returns-text',
      description: 'generate resolves with text and a finish reason',
      async run() {
        const model = await create();
        const result = await model.generate(PROMPT);
        ensure(typeof result.text === 'string' && result.text.trim().length > 0, 'generate should return non-empty text');
        ensure(FINISH_REASONS.has(result.finishReason), `finishReason should be one of stop/length/content-filter/other, got ${String(result.finishReason)}`);
      },
    },
    {
      id: 'generate-reports-usage',
      description: 'generate reports a complete usage event',
      async run() {
        const model = await create();
        const result = await model.generate(PROMPT);
        ensureUsage(result.usage, model, false, 'generate');
      },
    },
    {
      id: 'stream-order',
      description: 'stream yields text deltas, then exactly one finish part, last',
      async run() {
        const model = await create();
        const parts = await collect(model.stream(PROMPT));
        const finishes = parts.filter((p) => p.type === 'finish');
        ensure(finishes.length === 1, `a stream should end with exactly one finish part, got ${finishes.length}`);
        ensure(parts[parts.length - 1]?.type === 'finish', 'the finish part should be the last part');
        const deltas = parts.filter((p) => p.type === 'text-delta');
        ensure(deltas.length >= 1, 'a stream should yield at least one text delta');
        ensure(
          deltas.every((p) => typeof p.delta === 'string'),
          'every text delta should carry a string',
        );
        ensure(deltas.map((p) => p.delta).join('').trim().length > 0, 'the streamed text should not be empty');
        const finish = finishes[0];
        ensure(finish && FINISH_REASONS.has(finish.finishReason), 'the finish part should carry a finish reason');
      },
    },
    {
      id: 'stream-reports-usage',
      description: 'the finish part of a stream carries a complete usage event',
      async run() {
        const model = await create();
        const parts = await collect(model.stream(PROMPT));
        const finish = parts.find((p) => p.type === 'finish');
        ensure(finish?.type === 'finish', 'the stream has no finish part');
        ensureUsage(finish.usage, model, true, 'stream');
      },
    },
    {
      id: 'stream-early-break',
      description: 'breaking out of a stream releases it and the model keeps working',
      async run() {
        const model = await create();
        for await (const part of model.stream(PROMPT)) {
          ensure(part.type === 'text-delta', 'the first part should be a text delta');
          break;
        }
        const again = await model.generate(PROMPT);
        ensure(again.text.length > 0, 'generate after an early break should still work');
      },
    },
    {
      id: 'abort-before-call',
      description: 'an already-aborted signal rejects generate and stream with AbortError',
      async run() {
        const model = await create();
        const signal = abortedSignal();
        ensureAbortError(await captureRejection(() => model.generate({ ...PROMPT, abortSignal: signal }), 'generate'), 'generate');
        ensureAbortError(await captureRejection(() => collect(model.stream({ ...PROMPT, abortSignal: signal })), 'stream'), 'stream');
      },
    },
    {
      id: 'abort-mid-stream',
      description: 'aborting after the first delta ends the stream with AbortError and nothing more',
      async run() {
        const model = await create();
        const controller = new AbortController();
        let afterAbort = 0;
        const error = await captureRejection(async () => {
          for await (const part of model.stream({ ...PROMPT, abortSignal: controller.signal })) {
            if (controller.signal.aborted) afterAbort++;
            if (part.type === 'text-delta') controller.abort();
          }
        }, 'the aborted stream');
        ensureAbortError(error, 'the aborted stream');
        ensure(afterAbort === 0, `the stream yielded ${afterAbort} part(s) after the abort`);
      },
    },
    {
      id: 'unicode-intact',
      description: 'unicode text reaches the backend and comes back intact (generate and stream)',
      requires: { quotesContext: true },
      async run() {
        const model = await create();
        const call: ChatCallOptions = {
          messages: [{ role: 'user', content: `Sources:\n[1] ${UNICODE_SAMPLE}.\n\nQuestion: what does ${UNICODE_SAMPLE} say?` }],
          maxTokens: 128,
        };
        const generated = await model.generate(call);
        if (options.receivedTexts) {
          const received = await options.receivedTexts();
          ensure(received.some((t) => t.includes(UNICODE_SAMPLE)), 'the backend did not receive the unicode text intact');
        }
        const streamed = (await collect(model.stream(call)))
          .map((p) => (p.type === 'text-delta' ? p.delta : ''))
          .join('');
        if (options.quotesContext) {
          ensure(generated.text.includes(UNICODE_SAMPLE), `generate garbled unicode: ${generated.text}`);
          ensure(streamed.includes(UNICODE_SAMPLE), `stream garbled unicode: ${streamed}`);
        }
        ensure(!streamed.includes('\uFFFD') && !generated.text.includes('\uFFFD'), 'the reply contains U+FFFD replacement characters');
      },
    },
    {
      id: 'empty-messages-rejected',
      description: 'a call without messages rejects with BadInputError',
      async run() {
        const model = await create();
        const error = await captureRejection(() => model.generate({ messages: [] }), 'generate([])');
        ensure(BadInputError.isInstance(error), `generate([]) should reject with BadInputError, got ${String(error)}`);
        const streamError = await captureRejection(() => collect(model.stream({ messages: [] })), 'stream([])');
        ensure(BadInputError.isInstance(streamError), `stream([]) should reject with BadInputError, got ${String(streamError)}`);
      },
    },
    {
      id: 'long-input',
      description: 'a very long prompt either succeeds or rejects with BadInputError',
      async run() {
        const model = await create();
        const long = 'The vector extension defines vector registers. '.repeat(6000);
        try {
          const result = await model.generate({ messages: [{ role: 'user', content: long }], maxTokens: 16 });
          ensure(typeof result.text === 'string', 'a long prompt should return text');
        } catch (error) {
          ensure(BadInputError.isInstance(error), `a long prompt may only fail with BadInputError, got ${String(error)}`);
        }
      },
    },
  ];

  for (const kind of ALL_FAULT_KINDS) {
    checks.push({
      id: `errors.${kind}`,
      description: `a "${kind}" failure surfaces as the right typed error from generate and stream`,
      requires: { fault: kind },
      async run() {
        const model = await create();
        await withFault(options.faults, kind, async () => {
          const signal = kind === 'hang' ? deadlineSignal(50) : undefined;
          const call = { ...PROMPT, ...(signal && { abortSignal: signal }) };
          const error = await captureRejection(() => model.generate(call), `generate with fault "${kind}"`);
          ensureFaultError(error, kind, model, options.secret, 'generate');

          const streamSignal = kind === 'hang' ? deadlineSignal(50) : undefined;
          const parts: ChatStreamPart[] = [];
          const streamError = await captureRejection(async () => {
            for await (const part of model.stream({ ...PROMPT, ...(streamSignal && { abortSignal: streamSignal }) })) parts.push(part);
          }, `stream with fault "${kind}"`);
          ensureFaultError(streamError, kind, model, options.secret, 'stream');
          ensure(!parts.some((p) => p.type === 'finish'), 'a failed stream must not yield a finish part');
          if (kind !== 'drop-mid-stream' && kind !== 'hang') {
            ensure(parts.length === 0, `a stream that fails before its first byte should yield nothing, got ${parts.length} parts`);
          }
        });
      },
    });
  }
  return asConformanceChecks(checks);
}

/** Registers the ChatModel conformance suite with vitest: `describeChatModelConformance('my model', { create })`. */
export function describeChatModelConformance(name: string, options: ChatModelConformanceOptions): void {
  registerConformanceChecks(`ChatModel conformance: ${name}`, chatModelConformanceChecks(options), options);
}

export type { FaultKind };
