import { estimateTokens, type ChatCallOptions, type Chunk, type RetrievalHit } from '@ragbridge/core-interfaces';
import { createMockChatModel } from '@ragbridge/core-interfaces/testing';
import { describe, expect, it } from 'vitest';
import { buildPrompt, createAnswerer, REFUSAL_TEXT } from './answerer.js';

const hit = (id: string, text: string, page: number): RetrievalHit => ({
  chunk: { id, docId: 'spec', text, page, pageEnd: page, pageLabel: String(page + 10), sectionPath: ['Registers'], charStart: 0, charEnd: text.length } as Chunk,
  score: 1,
  reason: 'keyword',
});
const hits = [
  hit('c1', 'The base ISA has 32 integer registers named x0-x31. Register x0 is hardwired to zero.', 3),
  hit('c2', 'The FENCE.I instruction synchronizes the instruction and data streams.', 9),
];
const evidence = { terms: [], unknownTerms: [], specificTerms: [], missingSpecificTerms: [], specificCoverage: 1, weakSpecificTerms: [] };
const strong = { ...evidence, coverage: 0.9 };
const weak = { ...evidence, coverage: 0.1 };
const documentName = (): string => 'spec.pdf';

describe('answerer', () => {
  it('answers extractively with the sentence that answers, cited to its source', async () => {
    const answerer = createAnswerer({ documentName });
    const answer = await answerer.answer('How many integer registers does the base ISA have?', hits, strong);
    expect(answer.mode).toBe('extractive');
    expect(answer.refused).toBe(false);
    expect(answer.text).toBe('The base ISA has 32 integer registers named x0-x31. [1]');
    expect(answer.citations).toEqual([{ index: 1, docId: 'spec', docName: 'spec.pdf', page: 3, pageLabel: '13', chunkId: 'c1' }]);
  });

  it('extractiveSentences caps the sentences an extractive answer quotes', async () => {
    const twoFacts = [hit('c1', 'The base ISA has 32 integer registers. Register x0 of the base ISA is hardwired to zero.', 3)];
    const question = 'Which base ISA register is hardwired to zero, and how many integer registers are there?';
    const count = async (extractiveSentences?: number): Promise<number> =>
      ((await createAnswerer({ documentName, ...(extractiveSentences !== undefined && { extractiveSentences }) }).answer(question, twoFacts, strong)).text.match(/\[1\]/g) ?? []).length;
    expect(await count()).toBe(2);
    expect(await count(1)).toBe(1);
  });

  it('refuses when the evidence is weak, in both modes', async () => {
    for (const answerer of [createAnswerer({ documentName }), createAnswerer({ documentName, chatModel: createMockChatModel() })]) {
      const answer = await answerer.answer('How do I bake sourdough?', hits, weak);
      expect(answer).toMatchObject({ refused: true, text: REFUSAL_TEXT, citations: [] });
      expect(answer.refusalReason).toMatch(/no passage covers enough of the question \(best 10%\)/);
    }
  });

  it('refuses before calling the model when the question names something the documents never mention', async () => {
    const model = createMockChatModel();
    const answer = await createAnswerer({ documentName, chatModel: model }).answer('How is Zacas encoded?', hits, { ...strong, specificTerms: ['Zacas'], missingSpecificTerms: ['Zacas'] });
    expect(answer).toMatchObject({ refused: true, mode: 'generative', refusalReason: 'the documents never mention "Zacas"' });
    expect(model.calls).toHaveLength(0);
  });

  it('generates with numbered sources and validates the citations the model wrote', async () => {
    const model = createMockChatModel({ reply: () => 'There are 32 registers [1], see also [4].' });
    const answer = await createAnswerer({ documentName, chatModel: model }).answer('How many registers?', hits, strong);
    expect(answer.mode).toBe('generative');
    expect(answer.text).toBe('There are 32 registers [1], see also.');
    expect(answer.invalidCitations).toEqual([4]);
    expect(answer.citations.map((c) => c.chunkId)).toEqual(['c1']);
    expect(answer.usage).toHaveLength(1);
    const prompt = model.calls[0]?.[1]?.content ?? '';
    expect(prompt).toContain('[1] (spec.pdf, page 13, Registers) The base ISA has 32 integer registers');
    expect(prompt).toContain('[2] (spec.pdf, page 19, Registers)');
  });

  it('moves a generated citation to the source that holds the sentence', async () => {
    const model = createMockChatModel({ reply: () => 'The FENCE.I instruction synchronizes the instruction and data streams [1].' });
    const answer = await createAnswerer({ documentName, chatModel: model }).answer('What does FENCE.I do?', hits, strong);
    expect(answer.text).toBe('The FENCE.I instruction synchronizes the instruction and data streams [2].');
    expect(answer.citations.map((c) => c.chunkId)).toEqual(['c2']);
    expect(answer.correctedCitations).toEqual({ moved: [{ from: 1, to: 2 }], removed: [] });
  });

  it('streams deltas and ends with the validated answer', async () => {
    const answerer = createAnswerer({ documentName, chatModel: createMockChatModel() });
    const parts = [];
    for await (const part of answerer.stream('How many integer registers?', hits, strong)) parts.push(part);
    const deltas = parts.filter((p) => p.type === 'text-delta');
    const final = parts.at(-1);
    expect(deltas.length).toBeGreaterThan(1);
    expect(final?.type).toBe('answer');
    if (final?.type === 'answer') {
      expect(final.answer.citations.map((c) => c.index)).toEqual([1]);
      expect(deltas.map((d) => (d.type === 'text-delta' ? d.delta : '')).join('')).toContain('[1]');
    }
  });

  it('treats the model saying the documents do not cover it as a refusal, in its own words', async () => {
    for (const reply of [REFUSAL_TEXT, 'The provided sources do not contain information about sourdough.', "I couldn't find that in the documents."]) {
      const model = createMockChatModel({ reply: () => reply });
      const answer = await createAnswerer({ documentName, chatModel: model }).answer('q', hits, strong);
      expect(answer).toMatchObject({ refused: true, text: REFUSAL_TEXT, citations: [] });
    }
  });

  it('labels sources of documents without pages by their section, not "page 1"', () => {
    const html = hit('h1', 'The default is 4MB.', 1);
    html.chunk.section = { title: 'work_mem (integer)', anchor: 'GUC-WORK-MEM' };
    const [, user] = buildPrompt('q', [html], () => 'config.html');
    expect(user?.content).toContain('[1] (config.html, § work_mem (integer)) The default is 4MB.');
    expect(user?.content).not.toContain('page');
  });

  it('builds a prompt that asks for citations and the refusal sentence', () => {
    const [system] = buildPrompt('q', hits, documentName);
    expect(system?.content).toContain('[1]');
    expect(system?.content).toContain(REFUSAL_TEXT);
  });

  it('limits the answer to maxTokens (512 by default); a question may only lower it', async () => {
    const inner = createMockChatModel();
    const seen: ChatCallOptions[] = [];
    const spy = { ...inner, generate: (call: ChatCallOptions) => (seen.push(call), inner.generate(call)), stream: (call: ChatCallOptions) => (seen.push(call), inner.stream(call)) };
    const question = 'How many integer registers does the base ISA have?';
    await createAnswerer({ documentName, chatModel: spy }).answer(question, hits, strong);
    const limited = createAnswerer({ documentName, chatModel: spy, maxTokens: 300 });
    await limited.answer(question, hits, strong);
    await limited.answer(question, hits, strong, { maxTokens: 100 });
    await limited.answer(question, hits, strong, { maxTokens: 1000 });
    for await (const _ of limited.stream(question, hits, strong, { maxTokens: 50 }));
    expect(seen.map((c) => c.maxTokens)).toEqual([512, 300, 100, 300, 50]);
  });

  it('keeps the prompt within maxContextTokens: the oldest turns go first, then the lowest-ranked sources, never the best one', async () => {
    const long = (id: string, page: number): RetrievalHit => hit(id, `Register file details for chapter ${page}: `.repeat(20), page);
    const many = [hits[0] as RetrievalHit, long('c3', 4), long('c4', 5), long('c5', 6)];
    const history = [{ question: 'What is the base ISA?', answer: 'RV32I. '.repeat(60) }, { question: 'And its registers?' }];
    const model = createMockChatModel();
    const tokensOf = (): number => (model.calls.at(-1) ?? []).reduce((n, m) => n + estimateTokens(m.content) + 4, 0);
    const question = 'How many integer registers does the base ISA have?';

    await createAnswerer({ documentName, chatModel: model }).answer(question, many, strong, { history });
    const full = tokensOf();
    expect((model.calls.at(-1) ?? []).map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'user']);

    // A little less than the whole prompt: the older turn is left out, every source stays.
    await createAnswerer({ documentName, chatModel: model, maxContextTokens: full - 10 }).answer(question, many, strong, { history });
    expect((model.calls.at(-1) ?? []).map((m) => m.role)).toEqual(['system', 'user', 'user']);
    expect(model.calls.at(-1)?.at(-1)?.content).toContain('[4]');

    // Tight: no turns, and only the best sources that fit; citations number the sources given.
    const tight = await createAnswerer({ documentName, chatModel: model, maxContextTokens: 250 }).answer(question, many, strong, { history });
    expect(tokensOf()).toBeLessThanOrEqual(250);
    expect(model.calls.at(-1)?.at(-1)?.content).toContain('[1] (spec.pdf, page 13');
    expect(model.calls.at(-1)?.at(-1)?.content).not.toContain('[4]');
    expect(tight.sources.length).toBeLessThan(4);

    // Too tight for anything: the best source still goes.
    await createAnswerer({ documentName, chatModel: model, maxContextTokens: 10 }).answer(question, many, strong, { history });
    expect(model.calls.at(-1)?.at(-1)?.content).toMatch(/\[1\] .*\n\nQuestion:/s);
    expect(model.calls.at(-1)?.at(-1)?.content).not.toContain('[2]');
  });
});
