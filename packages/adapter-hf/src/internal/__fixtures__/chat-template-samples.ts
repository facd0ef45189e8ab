import type { ChatMessage } from '@ragbridge/core-interfaces';

const SYSTEM = 'Answer from the numbered sources and cite them as [n].';
const QUESTION =
  'Sources:\n[1] The RV32I base integer instruction set has 32 general-purpose registers.\n[2] The FDA guidance covers software validation.\n\nQuestion: How many registers does RV32I have?';

/** Conversations whose prompt tokens `bench/chat-template-tokens.ts` counts with each family's tokenizer and template. */
export const TEMPLATE_SAMPLES: Record<'question' | 'withSystem' | 'followUp' | 'hello', ChatMessage[]> = {
  question: [{ role: 'user', content: QUESTION }],
  withSystem: [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: QUESTION },
  ],
  followUp: [
    { role: 'user', content: QUESTION },
    { role: 'assistant', content: 'RV32I has 32 registers [1].' },
    { role: 'user', content: 'And how many does RV32E have?' },
  ],
  hello: [{ role: 'user', content: 'Say hello' }],
};

/**
 * The public chat templates of the measured families, rendered as their `chat_template.jinja`
 * writes them (no tools, generation prompt on; Llama's default date, gpt-oss's default reasoning level).
 */
export const RENDER_TEMPLATE: Record<string, (messages: ChatMessage[]) => string> = {
  'llama-3'(ms) {
    const system = ms[0]?.role === 'system' ? ms[0].content.trim() : '';
    const rest = ms[0]?.role === 'system' ? ms.slice(1) : ms;
    let s = `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n${system}<|eot_id|>`;
    for (const m of rest) s += `<|start_header_id|>${m.role}<|end_header_id|>\n\n${m.content.trim()}<|eot_id|>`;
    return `${s}<|start_header_id|>assistant<|end_header_id|>\n\n`;
  },
  'qwen-2'(ms) {
    let s = ms[0]?.role === 'system' ? '' : '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n';
    for (const m of ms) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
    return `${s}<|im_start|>assistant\n`;
  },
  chatml(ms) {
    let s = '';
    for (const m of ms) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
    return `${s}<|im_start|>assistant\n`;
  },
  gemma(ms) {
    const prefix = ms[0]?.role === 'system' ? `${ms[0].content}\n\n` : '';
    const rest = ms[0]?.role === 'system' ? ms.slice(1) : ms;
    let s = '<bos>';
    rest.forEach((m, i) => {
      s += `<start_of_turn>${m.role === 'assistant' ? 'model' : m.role}\n${i === 0 ? prefix : ''}${m.content.trim()}<end_of_turn>\n`;
    });
    return `${s}<start_of_turn>model\n`;
  },
  'gpt-oss'(ms) {
    let s =
      '<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2025-08-05\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>';
    if (ms[0]?.role === 'system') s += `<|start|>developer<|message|># Instructions\n\n${ms[0].content}\n\n<|end|>`;
    for (const m of ms[0]?.role === 'system' ? ms.slice(1) : ms) {
      s += m.role === 'user' ? `<|start|>user<|message|>${m.content}<|end|>` : `<|start|>assistant<|channel|>final<|message|>${m.content}<|end|>`;
    }
    return `${s}<|start|>assistant`;
  },
};
