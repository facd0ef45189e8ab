import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUsageEvent, type UsageEvent } from '@ragbridge/core-interfaces';
import { createMockChatModel, createMockEmbedder } from '@ragbridge/core-interfaces/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPipeline, type PipelineFallbackEvent, type PipelineFallbackPart, type PipelineLocalStep, type PipelineOptions } from './pipeline.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite-store.js';

const GUIDE = `# Registers

The RV32I base integer instruction set has thirty-two general purpose registers named x0 to x31.
Register x0 is hardwired to the constant zero, so writes to it are always ignored by the hardware.
The program counter holds the address of the current instruction and is not one of these registers.

# Encoding

The funct3 field selects the operation within a major opcode for most of the instruction formats.
The funct7 field distinguishes additional operations such as subtraction and arithmetic right shifts.
`;
const QUESTION = 'Which register is hardwired to the constant zero?';

let dir: string;
let store: SqliteStore;
let guide: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-pipeline-'));
  guide = join(dir, 'guide.md');
  writeFileSync(guide, GUIDE);
  store = openSqliteStore({ path: ':memory:' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the hooks saw; each local step gets a usage event named after it, so tests can find it in the results. */
function observer(): {
  events: PipelineFallbackEvent[];
  worked: PipelineFallbackPart[];
  steps: PipelineLocalStep[];
  options: Pick<PipelineOptions, 'onFallback' | 'onPartWorked' | 'localStepUsage'>;
} {
  const events: PipelineFallbackEvent[] = [];
  const worked: PipelineFallbackPart[] = [];
  const steps: PipelineLocalStep[] = [];
  return {
    events,
    worked,
    steps,
    options: {
      onFallback: (event) => events.push(event),
      onPartWorked: (part) => worked.push(part),
      localStepUsage: (step) => {
        steps.push(step);
        const operation = step.step === 'extractive' ? 'chat' : 'embed';
        return createUsageEvent({ backend: `${step.step}-step`, modelId: step.step, operation, inputTokens: 0, startedAt: step.startedAt, latencyMs: step.latencyMs });
      },
    },
  };
}

type Part = { type: string; delta?: string; answer?: { mode: string; usage: UsageEvent[]; interrupted?: { partialText: string; reason: string } } };

async function collect(stream: AsyncIterable<unknown>): Promise<{ parts: Part[]; failure: unknown }> {
  const parts: Part[] = [];
  try {
    for await (const part of stream) parts.push(part as Part);
  } catch (error) {
    return { parts, failure: error };
  }
  return { parts, failure: undefined };
}

describe('createPipeline defaults for the runtime', () => {
  it('k sets the hits per question when a call gives none', async () => {
    const pipeline = createPipeline({ store, k: 1 });
    await pipeline.ingest([guide], { workers: 0 });
    const question = 'registers and the funct3 field';
    expect((await createPipeline({ store }).retrieve(question)).hits.length).toBeGreaterThan(1);
    expect((await pipeline.retrieve(question)).hits).toHaveLength(1);
    expect((await pipeline.ask(question)).retrieval.hits).toHaveLength(1);
    expect((await pipeline.retrieve(question, { k: 2 })).hits).toHaveLength(2);
  });

  it('chunker sets the chunking of ingest when a call gives none', async () => {
    const defaults = await createPipeline({ store: ':memory:' }).ingest([guide], { workers: 0 });
    const small = await createPipeline({ store, chunker: { targetTokens: 20, maxTokens: 30, overlapTokens: 0 } }).ingest([guide], { workers: 0 });
    expect(small.chunks).toBeGreaterThan(defaults.chunks);
  });

  it('extractiveSentences sets the sentences an extractive answer quotes', async () => {
    await createPipeline({ store }).ingest([guide], { workers: 0 });
    const twoFacts = 'Which register is hardwired to zero, and what does the program counter hold?';
    const quotes = async (options: Partial<PipelineOptions>): Promise<number> => ((await createPipeline({ store, ...options }).ask(twoFacts)).answer.text.match(/\[\d+\]/g) ?? []).length;
    expect(await quotes({})).toBeGreaterThan(1);
    expect(await quotes({ extractiveSentences: 1 })).toBe(1);
  });
});

describe('createPipeline fallbacks', () => {
  it('extractiveFallback answers extractively when the chat model fails, with the hook’s usage event last', async () => {
    const chatModel = createMockChatModel();
    chatModel.faults.inject('server-error');
    await createPipeline({ store }).ingest([guide], { workers: 0 });
    await expect(createPipeline({ store, chatModel }).ask(QUESTION)).rejects.toMatchObject({ name: 'ServerError' });

    const seen = observer();
    const pipeline = createPipeline({ store, chatModel, extractiveFallback: true, ...seen.options });
    const { answer } = await pipeline.ask(QUESTION);
    expect(answer).toMatchObject({ mode: 'extractive', refused: false });
    expect(answer.text).toMatch(/hardwired to the constant zero/);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.usage.map((u) => u.backend)).toEqual(['extractive-step']);
    expect(seen.events).toEqual([{ part: 'chat', error: expect.objectContaining({ name: 'ServerError' }) }]);
    expect(seen.steps).toEqual([{ step: 'extractive', startedAt: expect.any(Number), latencyMs: expect.any(Number) }]);
    expect(seen.worked).toEqual([]);

    // The model works again: a generative answer, and the hook hears of it.
    chatModel.faults.clear();
    expect((await pipeline.ask(QUESTION)).answer.mode).toBe('generative');
    expect(seen.worked).toEqual(['chat']);

    // The caller's abort is never turned into a fallback.
    const controller = new AbortController();
    controller.abort();
    await expect(pipeline.ask(QUESTION, { abortSignal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.events).toHaveLength(1);
  });

  it('extractiveFallback in a stream: before the first text it answers instead; after it the shown text is kept as interrupted and the extractive answer follows', async () => {
    const chatModel = createMockChatModel();
    await createPipeline({ store }).ingest([guide], { workers: 0 });
    chatModel.faults.inject('loading');
    const unguarded = await collect(createPipeline({ store, chatModel }).askStream(QUESTION));
    expect(unguarded.failure).toMatchObject({ name: 'ModelLoadingError' });

    const seen = observer();
    const pipeline = createPipeline({ store, chatModel, extractiveFallback: true, ...seen.options });
    const before = await collect(pipeline.askStream(QUESTION));
    expect(before.failure).toBeUndefined();
    expect(before.parts.map((p) => p.type)).toEqual(['retrieval', 'text-delta', 'answer']);
    expect(before.parts[2]?.answer?.mode).toBe('extractive');
    expect(before.parts[2]?.answer?.usage.at(-1)?.backend).toBe('extractive-step');

    chatModel.faults.inject('drop-mid-stream');
    const after = await collect(pipeline.askStream(QUESTION));
    const deltas = after.parts.filter((p) => p.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(after.failure).toBeUndefined();
    // The text shown stays, marked as interrupted; the extractive answer is the answer, not spliced onto it.
    const last = after.parts.at(-1)?.answer;
    expect(last?.mode).toBe('extractive');
    expect(last?.interrupted).toEqual({
      partialText: deltas.map((p) => p.delta).join('').trim(),
      reason: "the model's answer broke off (BackendUnreachableError)",
    });
    expect(seen.events.map((e) => e.part)).toEqual(['chat', 'chat']);

    // Without the extractive fallback, a cut stream still ends with its error.
    const bare = await collect(createPipeline({ store, chatModel }).askStream(QUESTION));
    expect(bare.failure).toMatchObject({ name: 'BackendUnreachableError' });
    expect(bare.parts.some((p) => p.type === 'answer')).toBe(false);

    chatModel.faults.clear();
    const healthy = await collect(pipeline.askStream(QUESTION));
    expect(healthy.parts.at(-1)?.answer?.mode).toBe('generative');
    expect(seen.worked).toEqual(['chat']);
  });

  it('retrieves a follow-up with the previous question, and gives a chat model the earlier turns', async () => {
    await createPipeline({ store }).ingest([guide], { workers: 0 });
    const pipeline = createPipeline({ store });
    const first = 'What does the funct7 field distinguish?';
    const alone = await pipeline.ask('Why is it needed?');
    expect(alone.answer.refused).toBe(true);
    const history = [{ question: first, answer: (await pipeline.ask(first)).answer.text }];
    const followUp = await pipeline.ask('Why is it needed?', { history });
    expect(followUp.answer.refused).toBe(false);
    expect(followUp.retrieval.hits[0]?.chunk.text).toContain('funct7');

    const chatModel = createMockChatModel();
    const chatting = createPipeline({ store, chatModel });
    const parts = [];
    for await (const part of chatting.askStream('Why is it needed?', { history })) parts.push(part);
    const messages = chatModel.calls.at(-1) ?? [];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[1]?.content).toBe(first);
    expect(messages[2]?.content).not.toMatch(/\[\d+\]/);
    expect(messages[3]?.content).toMatch(/funct7[\s\S]*Question: Why is it needed\?$/);
  });

  it('a store opened from a file is written by the extraction workers; questions see each change at once', async () => {
    const path = join(dir, 'store.db');
    const pipeline = createPipeline({ store: path });
    // This thread's connection never writes a document: the worker's does.
    pipeline.store.putDocument = () => Promise.reject(new Error('written on the calling thread'));
    try {
      const first = await pipeline.ingest([guide], { workers: 1 });
      expect(first.failed).toEqual([]);
      expect(first.added).toEqual([guide]);
      expect(first.chunks).toBeGreaterThan(0);
      expect((await pipeline.ask(QUESTION)).answer.text).toContain('x0');
      // Two workers writing at once wait for each other (no "database is locked").
      for (let i = 0; i < 6; i++) writeFileSync(join(dir, `extra-${i}.md`), `# Extra ${i}\n\n${'The counter register counts retired instructions. '.repeat(400)}${i}\n`);
      const many = await pipeline.ingest([dir], { workers: 2 });
      expect(many.failed).toEqual([]);
      expect(many.added).toHaveLength(6);
      writeFileSync(guide, GUIDE.replace('hardwired to the constant zero', 'wired to a constant zero value'));
      const second = await pipeline.ingest([guide], { workers: 1 });
      expect(second.updated).toEqual([guide]);
      const after = await pipeline.ask('Which register is wired to a constant zero value?');
      expect(after.retrieval.hits[0]?.chunk.text).toContain('wired to a constant zero value');
      expect(await pipeline.store.getDocumentChunks(after.retrieval.hits[0]?.chunk.docId ?? '')).toHaveLength(first.chunks);
    } finally {
      await pipeline.close();
    }
  });

  it('keywordFallback retrieves a question that cannot be embedded with keywords alone', async () => {
    const embedder = createMockEmbedder();
    await createPipeline({ store, embedder }).ingest([guide], { workers: 0 });
    embedder.faults.inject('unreachable');
    await expect(createPipeline({ store, embedder }).ask(QUESTION)).rejects.toMatchObject({ name: 'BackendUnreachableError' });

    const seen = observer();
    const pipeline = createPipeline({ store, embedder, keywordFallback: true, ...seen.options });
    const { answer, retrieval } = await pipeline.ask(QUESTION);
    expect(answer.refused).toBe(false);
    expect(retrieval.hits.length).toBeGreaterThan(0);
    expect(retrieval.hits.every((h) => h.reason === 'keyword')).toBe(true);
    expect(retrieval.queryEmbedFailure?.error).toMatchObject({ name: 'BackendUnreachableError' });
    expect(retrieval.usage.map((u) => u.backend)).toEqual(['keyword-step']);
    expect(answer.usage.map((u) => u.backend)).toEqual(['keyword-step', 'extractive-step']);
    expect(seen.events).toEqual([{ part: 'query-embedding', error: expect.objectContaining({ name: 'BackendUnreachableError' }) }]);
    expect(seen.steps[0]).toEqual({ step: 'keyword', startedAt: expect.any(Number), latencyMs: 0 });

    embedder.faults.clear();
    const healthy = await pipeline.retrieve(QUESTION);
    expect(healthy.queryEmbedFailure).toBeUndefined();
    expect(healthy.hits.some((h) => h.reason !== 'keyword')).toBe(true);
    expect(seen.worked).toEqual(['query-embedding']);

    const controller = new AbortController();
    controller.abort();
    await expect(pipeline.retrieve(QUESTION, { abortSignal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.events).toHaveLength(1);
  });

  it('reportEmbedErrors keeps the ingest report when the chunks cannot be embedded', async () => {
    const embedder = createMockEmbedder();
    embedder.faults.inject('server-error');
    await expect(createPipeline({ store: ':memory:', embedder }).ingest([guide], { workers: 0 })).rejects.toMatchObject({ name: 'ServerError' });

    const seen = observer();
    const pipeline = createPipeline({ store, embedder, reportEmbedErrors: true, ...seen.options });
    const report = await pipeline.ingest([guide], { workers: 0 });
    expect(report.added).toEqual([expect.stringContaining('guide.md')]);
    expect(report.embedded).toBe(0);
    expect(report.embedError).toMatchObject({ name: 'ServerError' });
    expect(seen.events).toEqual([{ part: 'chunk-embedding', error: expect.objectContaining({ name: 'ServerError' }) }]);

    // The documents are stored and found by keywords; the next indexVectors() embeds them.
    embedder.faults.clear();
    const { retrieval } = await pipeline.ask(QUESTION);
    expect(retrieval.hits.length).toBeGreaterThan(0);
    expect(retrieval.hits.every((h) => h.reason === 'keyword')).toBe(true);
    expect(await pipeline.indexVectors()).toBe(report.chunks);
    expect(seen.worked).toContain('chunk-embedding');
  });
});

describe('createPipeline localStepUsage', () => {
  it('adds a usage event for every extractive answer when there is no chat model, streamed or not', async () => {
    await createPipeline({ store }).ingest([guide], { workers: 0 });
    expect((await createPipeline({ store }).ask(QUESTION)).answer.usage).toEqual([]);

    const seen = observer();
    const pipeline = createPipeline({ store, ...seen.options });
    const { answer } = await pipeline.ask(QUESTION);
    expect(answer.mode).toBe('extractive');
    expect(answer.usage.map((u) => u.backend)).toEqual(['extractive-step']);
    const streamed = await collect(pipeline.askStream(QUESTION));
    expect(streamed.parts.map((p) => p.type)).toEqual(['retrieval', 'text-delta', 'answer']);
    expect(streamed.parts[2]?.answer?.usage.map((u) => u.backend)).toEqual(['extractive-step']);
    expect(seen.steps.map((s) => s.step)).toEqual(['extractive', 'extractive']);
    // Nothing failed: there is no fallback to report.
    expect(seen.events).toEqual([]);
  });
});

describe('createPipeline runQuery', () => {
  it('runs each question of ask and askStream inside it, and lets a stream stopped early settle', async () => {
    const scope = new AsyncLocalStorage<string>();
    const scopes: Array<string | undefined> = [];
    const chatModel = createMockChatModel({
      reply: () => {
        scopes.push(scope.getStore());
        return 'Register x0 is hardwired to the constant zero [1].';
      },
    });
    await createPipeline({ store }).ingest([guide], { workers: 0 });
    await createPipeline({ store, chatModel }).ask(QUESTION);
    expect(scopes).toEqual([undefined]);

    let started = 0;
    let settled = 0;
    const pipeline = createPipeline({
      store,
      chatModel,
      runQuery: (query) =>
        scope.run(`q${++started}`, async () => {
          try {
            return await query();
          } finally {
            settled++;
          }
        }),
    });
    expect((await pipeline.ask(QUESTION)).answer.mode).toBe('generative');
    const streamed = await collect(pipeline.askStream(QUESTION));
    expect(streamed.parts.at(-1)?.answer?.mode).toBe('generative');
    expect(scopes).toEqual([undefined, 'q1', 'q2']);
    expect(settled).toBe(2);

    for await (const part of pipeline.askStream(QUESTION)) {
      expect(part.type).toBe('retrieval');
      break;
    }
    expect(started).toBe(3);
    expect(settled).toBe(3);
  });
});

describe('document names in answers', () => {
  it('are read by id for the documents a question retrieves, including ones another process stored later; the document list is never read', async () => {
    const path = join(dir, 'shared.db');
    const chatModel = createMockChatModel();
    const reader = createPipeline({ store: openSqliteStore({ path }), chatModel });
    const writer = createPipeline({ store: path });
    try {
      await reader.ask(QUESTION); // an empty store: nothing to name yet
      await writer.ingest([guide], { workers: 0 });
      reader.store.listDocuments = () => Promise.reject(new Error('listed every document'));
      const result = await reader.ask(QUESTION);
      expect(result.retrieval.hits.length).toBeGreaterThan(0);
      const prompt = (chatModel.calls.at(-1) ?? []).map((m) => m.content).join('\n');
      expect(prompt).toContain('guide.md');
      expect(prompt).not.toContain(result.retrieval.hits[0]?.chunk.docId);
    } finally {
      await reader.close();
      await reader.store.close();
      await writer.close();
    }
  });
});
