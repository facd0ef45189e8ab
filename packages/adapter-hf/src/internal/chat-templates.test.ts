import { estimateTokens, type ChatMessage } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_SAMPLES } from './__fixtures__/chat-template-samples.js';
import { CHAT_TEMPLATE_OVERHEADS, chatTemplateOf, estimatePromptTokens } from './chat-templates.js';

type Sample = keyof typeof TEMPLATE_SAMPLES;

/**
 * Prompt tokens of each sample, counted with the family's own tokenizer and public chat template
 * (`bench/chat-template-tokens.ts`): the whole prompt, and the part the template adds.
 */
const MEASURED: Array<{ model: string; family: string; counts: Record<Sample, { real: number; overhead: number }> }> = [
  {
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    family: 'llama-3',
    counts: { question: { real: 76, overhead: 35 }, withSystem: { real: 88, overhead: 35 }, followUp: { real: 105, overhead: 45 }, hello: { real: 37, overhead: 35 } },
  },
  {
    model: 'Qwen/Qwen2.5-7B-Instruct',
    family: 'qwen-2',
    counts: { question: { real: 73, overhead: 29 }, withSystem: { real: 69, overhead: 13 }, followUp: { real: 105, overhead: 39 }, hello: { real: 31, overhead: 29 } },
  },
  {
    model: 'Qwen/Qwen3-32B',
    family: 'chatml',
    counts: { question: { real: 52, overhead: 8 }, withSystem: { real: 69, overhead: 13 }, followUp: { real: 84, overhead: 18 }, hello: { real: 10, overhead: 8 } },
  },
  {
    model: 'google/gemma-3-27b-it',
    family: 'gemma',
    counts: { question: { real: 57, overhead: 9 }, withSystem: { real: 70, overhead: 10 }, followUp: { real: 89, overhead: 19 }, hello: { real: 11, overhead: 9 } },
  },
  {
    model: 'openai/gpt-oss-20b',
    family: 'gpt-oss',
    counts: { question: { real: 108, overhead: 67 }, withSystem: { real: 127, overhead: 74 }, followUp: { real: 137, overhead: 77 }, hello: { real: 69, overhead: 67 } },
  },
];

const textOnly = (messages: ChatMessage[]): number => messages.reduce((n, m) => n + estimateTokens(m.content), 0);

describe('chat template overhead per model family', () => {
  for (const { model, family, counts } of MEASURED) {
    it(`${family}: the table adds exactly the tokens the template adds, and the estimate is within 11% of the real count`, () => {
      expect(chatTemplateOf(model).family).toBe(family);
      for (const [sample, { real, overhead }] of Object.entries(counts) as Array<[Sample, { real: number; overhead: number }]>) {
        const messages = TEMPLATE_SAMPLES[sample];
        const estimate = estimatePromptTokens(model, messages);
        expect(estimate - textOnly(messages), `${sample}: template overhead`).toBe(overhead);
        expect(Math.abs(estimate - real) / real, `${sample}: ${estimate} estimated, ${real} real`).toBeLessThan(0.11);
      }
    });
  }

  it('without the template, a one-question Llama 3.1 prompt was estimated at 40% of its real count (issue #16)', () => {
    expect(textOnly(TEMPLATE_SAMPLES.question)).toBe(46);
    expect(estimatePromptTokens('meta-llama/Llama-3.3-70B-Instruct:groq', TEMPLATE_SAMPLES.hello)).toBe(38);
  });

  it('templates counted by hand from their control tokens: Mistral, DeepSeek, Llama 3.0', () => {
    // <s>[INST] {system}\n\n{user}[/INST]: <s>, [INST], [/INST], and \n\n as two byte tokens.
    expect(estimatePromptTokens('mistralai/Mistral-7B-Instruct-v0.3', TEMPLATE_SAMPLES.withSystem) - textOnly(TEMPLATE_SAMPLES.withSystem)).toBe(5);
    // <｜begin▁of▁sentence｜>{system}<｜User｜>{user}<｜Assistant｜><think>\n
    expect(estimatePromptTokens('deepseek-ai/DeepSeek-R1-Distill-Llama-8B', TEMPLATE_SAMPLES.withSystem) - textOnly(TEMPLATE_SAMPLES.withSystem)).toBe(5);
    // <|begin_of_text|>, then 5 tokens around each message, 4 to open the reply.
    expect(estimatePromptTokens('meta-llama/Meta-Llama-3-8B-Instruct', TEMPLATE_SAMPLES.question) - textOnly(TEMPLATE_SAMPLES.question)).toBe(10);
  });

  it('every model id finds one row; unknown ones the default (3 per message, 3 to open the reply)', () => {
    expect(chatTemplateOf('some-org/brand-new-model').family).toBe('default');
    expect(estimatePromptTokens('some-org/brand-new-model', TEMPLATE_SAMPLES.question) - textOnly(TEMPLATE_SAMPLES.question)).toBe(6);
    expect(new Set(CHAT_TEMPLATE_OVERHEADS.map((row) => row.family)).size).toBe(CHAT_TEMPLATE_OVERHEADS.length);
    expect(chatTemplateOf('http://127.0.0.1:8080/v1').family).toBe('default');
  });
});
