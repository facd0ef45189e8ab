import { describe, expect, it } from 'vitest';
import { EOS_TOKENS, ReplySplitter, splitReply, stripTrailingEos } from './chat-reply.js';

/** Feeds `content` in pieces of `size` characters; returns the answer deltas, all text and the reasoning. */
function stream(modelId: string, content: string, size: number, field = ''): { deltas: string[]; text: string; reasoning: string } {
  const splitter = new ReplySplitter(modelId);
  if (field) splitter.addReasoning(field);
  const deltas: string[] = [];
  for (let i = 0; i < content.length; i += size) {
    const piece = splitter.push(content.slice(i, i + size));
    if (piece.text) deltas.push(piece.text);
  }
  const last = splitter.end();
  if (last.text) deltas.push(last.text);
  return { deltas, text: deltas.join(''), reasoning: splitter.reasoning };
}

const ANSWER = 'RV32I has 32 registers [1].';
const THOUGHT = 'Source [1] says 32.';

describe('reasoning apart from the answer', () => {
  it('a <think> block at the start goes to reasoning, however the stream cuts it', () => {
    const content = `<think>\n${THOUGHT}\n</think>\n\n${ANSWER}`;
    for (let size = 1; size <= content.length; size++) {
      const { text, reasoning, deltas } = stream('deepseek-ai/DeepSeek-V3', content, size);
      expect(text, `chunks of ${size}`).toBe(ANSWER);
      expect(reasoning.trim(), `chunks of ${size}`).toBe(THOUGHT);
      expect(deltas.some((d) => d.includes('<') && !d.includes('[')), `chunks of ${size}`).toBe(false);
    }
  });

  it('a lone </think> ends reasoning the prompt opened (DeepSeek-R1), split anywhere', () => {
    const content = `${THOUGHT}\n</think>\n\n${ANSWER}`;
    for (const size of [1, 2, 3, 5, 8, 100]) {
      expect(stream('deepseek-ai/DeepSeek-R1', content, size)).toMatchObject({ text: ANSWER, reasoning: `${THOUGHT}\n` });
    }
  });

  it('a model that might open reasoning in the prompt but did not: everything is the answer', () => {
    expect(stream('deepseek-ai/DeepSeek-R1', ANSWER, 4)).toMatchObject({ text: ANSWER, reasoning: '' });
  });

  it('reasoning sent in its own field stays there, and the content is the answer from the first chunk', () => {
    const { deltas, reasoning } = stream('deepseek-ai/DeepSeek-R1', ANSWER, 6, THOUGHT);
    expect(reasoning).toBe(THOUGHT);
    expect(deltas.join('')).toBe(ANSWER);
    expect(deltas.length).toBeGreaterThan(2);
  });

  it('an answer without reasoning streams as it came, word for word', () => {
    const words = ['According ', 'to ', '[1], ', '"RV32I ', 'has ', '32."'];
    const splitter = new ReplySplitter('meta-llama/Llama-3.1-8B-Instruct');
    expect(words.map((w) => splitter.push(w).text)).toEqual(words);
  });

  it('reasoning cut by the token limit (no closing tag) is reasoning, with no answer', () => {
    expect(splitReply('Qwen/Qwen3-32B', `<think>${THOUGHT}`)).toEqual({ text: '', reasoning: THOUGHT });
  });

  it('splitReply handles a whole reply and a reasoning field', () => {
    expect(splitReply('m', `<think>${THOUGHT}</think>${ANSWER}`)).toEqual({ text: ANSWER, reasoning: THOUGHT });
    expect(splitReply('m', ANSWER, THOUGHT)).toEqual({ text: ANSWER, reasoning: THOUGHT });
  });
});

describe('end-of-sequence tokens', () => {
  it('are removed from the end of the answer, also when split across chunks', () => {
    for (const eos of EOS_TOKENS) {
      for (const size of [1, 2, 3, 7]) expect(stream('m', `${ANSWER}${eos}`, size).text, `${eos} in chunks of ${size}`).toBe(ANSWER);
      expect(stripTrailingEos(`${ANSWER}\n${eos}\n`)).toBe(ANSWER);
    }
    expect(stream('m', `${ANSWER}<|eot_id|></s>`, 3).text).toBe(ANSWER);
  });

  it('stay when text follows them, and text that only looks like the start of one is kept', () => {
    expect(stream('m', 'Use <s>strike</s> tags.', 2).text).toBe('Use <s>strike</s> tags.');
    expect(stream('m', 'a < b', 1).text).toBe('a < b');
    expect(stream('m', 'ends with <|e', 3).text).toBe('ends with <|e');
  });
});
