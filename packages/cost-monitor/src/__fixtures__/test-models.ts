// Test helpers: a clock tests move by hand, and a chat model whose usage and timing tests control.
import {
  BadInputError,
  createUsageEvent,
  ServerError,
  throwIfAborted,
  type ChatModelV1,
  type ChatStreamPart,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import type { Clock } from '../clock.js';

/** A clock that only moves when told. */
export class ManualClock implements Clock {
  constructor(public time: number = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
  set(iso: string): void {
    this.time = Date.parse(iso);
  }
}

export interface ScriptedChatModel extends ChatModelV1 {
  /** Calls started (reached the model). */
  started: number;
  /** Most calls running at once. */
  maxConcurrent: number;
  /** Makes every call wait until `release()`. */
  hold(): void;
  release(): void;
  /** Makes the next calls fail with a ServerError. */
  failing: boolean;
}

/**
 * A chat model that reports `outputTokens` output tokens and `inputTokens` input tokens per call,
 * can hold its calls until released (to keep many in flight), and can fail on demand.
 */
export function createScriptedChatModel(options: {
  backend?: string;
  modelId?: string;
  inputTokens?: number;
  outputTokens?: number;
  provider?: string;
} = {}): ScriptedChatModel {
  const backend = options.backend ?? 'paid';
  const modelId = options.modelId ?? 'm';
  let running = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const usage = (streamed: boolean): UsageEvent =>
    createUsageEvent({
      backend,
      modelId,
      operation: 'chat',
      streamed,
      inputTokens: options.inputTokens ?? 10,
      outputTokens: options.outputTokens ?? 5,
      startedAt: Date.now(),
      latencyMs: 1,
      ...(options.provider !== undefined && { provider: options.provider }),
    });
  const model: ScriptedChatModel = {
    specificationVersion: 'v1',
    backend,
    modelId,
    started: 0,
    maxConcurrent: 0,
    failing: false,
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      open?.();
      gate = undefined;
    },
    async generate(call) {
      throwIfAborted(call.abortSignal, { backend, modelId });
      if (call.messages.length === 0) throw new BadInputError({ backend, modelId, message: 'no messages' });
      model.started++;
      running++;
      model.maxConcurrent = Math.max(model.maxConcurrent, running);
      try {
        if (gate) await gate;
        if (model.failing) throw new ServerError({ backend, modelId, statusCode: 500 });
        return { text: 'answer text here', finishReason: 'stop', usage: usage(false) };
      } finally {
        running--;
      }
    },
    stream(call): AsyncIterable<ChatStreamPart> {
      return {
        async *[Symbol.asyncIterator]() {
          throwIfAborted(call.abortSignal, { backend, modelId });
          model.started++;
          for (const delta of ['answer ', 'text ', 'here']) {
            await new Promise((resolve) => setImmediate(resolve));
            throwIfAborted(call.abortSignal, { backend, modelId });
            if (model.failing) throw new ServerError({ backend, modelId, statusCode: 500 });
            yield { type: 'text-delta', delta };
          }
          yield { type: 'finish', finishReason: 'stop', usage: usage(true) };
        },
      };
    },
  };
  return model;
}

/** A usage event with the given cost-relevant fields. */
export function usageOf(fields: Partial<UsageEvent> & { backend?: string; modelId?: string }): UsageEvent {
  return createUsageEvent({
    backend: fields.backend ?? 'paid',
    modelId: fields.modelId ?? 'm',
    operation: fields.operation ?? 'chat',
    inputTokens: fields.inputTokens ?? 0,
    startedAt: fields.startedAt ?? Date.now(),
    latencyMs: fields.latencyMs ?? 1,
    ...fields,
  });
}
