/**
 * End-of-sequence tokens that servers leave in generated text when they do not strip them (TGI
 * streams may end with a literal `</s>`): Llama 2 / Mistral, Llama 3, ChatML (Qwen), Phi, GPT-2 /
 * StarCoder, Llama 3 base, Gemma, gpt-oss (harmony) and DeepSeek.
 */
export const EOS_TOKENS: readonly string[] = [
  '</s>',
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<end_of_turn>',
  '<eos>',
  '<|return|>',
  '<｜end▁of▁sentence｜>',
];

/** The tags around a reasoning block in answer text (DeepSeek-R1, QwQ, Qwen3 and others). */
export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

/**
 * Models whose chat template opens the `<think>` block in the prompt, so their reply starts
 * inside it and shows only the closing tag (DeepSeek-R1 and its distills, QwQ, Qwen3 "thinking").
 */
const OPENS_THINKING_IN_PROMPT = /deepseek-r1|qwq|thinking/i;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const EOS_ALTERNATIVES = EOS_TOKENS.map(escape).join('|');
const EOS_STARTS = [...new Set(EOS_TOKENS.flatMap((t) => Array.from({ length: t.length - 1 }, (_, i) => t.slice(0, i + 1))))];
/** A text end that is, or may still grow into, trailing end-of-sequence tokens (a whole one, or the start of one). */
const MAYBE_EOS_TAIL = new RegExp(`(?:\\s*(?:${EOS_ALTERNATIVES}|${EOS_STARTS.map(escape).join('|')}))+\\s*$`, 'u');

/** How much of a text's end can hold end-of-sequence tokens still to be decided (bounds the tail search). */
const TAIL_WINDOW = 64;

/** Removes end-of-sequence tokens (and the spaces before them) from the end of a text. */
export function stripTrailingEos(text: string): string {
  let end = text.length;
  let stripped = false;
  for (;;) {
    const trimmed = text.slice(0, end).trimEnd();
    const token = EOS_TOKENS.find((t) => trimmed.endsWith(t));
    if (token === undefined) break;
    end = trimmed.length - token.length;
    stripped = true;
  }
  return stripped ? text.slice(0, end).trimEnd() : text;
}

/** Length of the longest end of `text` that is the start of `tag` (text that may still become it). */
function partialTagAtEnd(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) if (text.endsWith(tag.slice(0, n))) return n;
  return 0;
}

/** Text released by one step of {@link ReplySplitter}. */
export interface ReplyPiece {
  /** Answer text. */
  text: string;
  /** Reasoning text. */
  reasoning: string;
}

/** Where the reply is: before its first word, in a reasoning block, just after one, in the answer. */
type Mode = 'start' | 'reasoning' | 'after-reasoning' | 'answer';

/**
 * Splits a reply, as it streams, into the answer and the model's reasoning: a `<think>…</think>`
 * block at the start (split across chunks or not) goes to reasoning, and so does what came
 * before a lone `</think>` for models whose template opens the block in the prompt; reasoning the
 * provider sends in its own field (`reasoning_content` / `reasoning`) is added with
 * {@link addReasoning}. End-of-sequence tokens at the end of the answer are removed. Text that may
 * still turn out to be a tag is held back until the next chunk or {@link end}.
 */
export class ReplySplitter {
  private mode: Mode = 'start';
  private pending = '';
  private reasoningSent = '';
  private readonly opensInPrompt: boolean;
  private sawReasoningField = false;
  /** True while the reasoning block was opened by the prompt, not by a tag in the reply. */
  private implicit = false;
  /** Where the search for the closing tag resumes in a held block (the text before was searched). */
  private scanned = 0;

  constructor(modelId: string) {
    this.opensInPrompt = OPENS_THINKING_IN_PROMPT.test(modelId);
  }

  /** All reasoning released so far. */
  get reasoning(): string {
    return this.reasoningSent;
  }

  /** Reasoning the provider sent in a field of its own. */
  addReasoning(delta: string): ReplyPiece {
    this.sawReasoningField = true;
    return this.release('', delta);
  }

  /** Takes the next chunk of answer text; returns what is now certain. */
  push(delta: string): ReplyPiece {
    this.pending += delta;
    return this.advance();
  }

  /** The stream ended: releases what was held back, without trailing end-of-sequence tokens. */
  end(): ReplyPiece {
    const rest = this.pending;
    this.pending = '';
    // Without a closing tag, a block the prompt would have opened was no reasoning: it is the answer.
    if (this.mode === 'reasoning' && !this.implicit) return this.release('', stripTrailingEos(rest));
    return this.release(stripTrailingEos(this.mode === 'after-reasoning' ? rest.trimStart() : rest), '');
  }

  private advance(): ReplyPiece {
    let text = '';
    let reasoning = '';
    for (;;) {
      if (this.mode === 'start') {
        const lead = this.pending.trimStart();
        if (lead.startsWith(THINK_OPEN)) {
          this.mode = 'reasoning';
          this.pending = lead.slice(THINK_OPEN.length);
          continue;
        }
        if (lead === '' || THINK_OPEN.startsWith(lead)) break;
        this.mode = this.opensInPrompt && !this.sawReasoningField ? 'reasoning' : 'answer';
        this.implicit = this.mode === 'reasoning';
        continue;
      }
      if (this.mode === 'reasoning') {
        const close = this.pending.indexOf(THINK_CLOSE, this.scanned);
        if (close >= 0) {
          this.scanned = 0;
          reasoning += this.pending.slice(0, close);
          this.pending = this.pending.slice(close + THINK_CLOSE.length);
          this.mode = 'after-reasoning';
          this.implicit = false;
          continue;
        }
        // An implicitly opened block is held whole: without a closing tag it is the answer.
        if (this.implicit) {
          this.scanned = Math.max(0, this.pending.length - THINK_CLOSE.length + 1);
          break;
        }
        const keep = partialTagAtEnd(this.pending, THINK_CLOSE);
        reasoning += this.pending.slice(0, this.pending.length - keep);
        this.pending = this.pending.slice(this.pending.length - keep);
        break;
      }
      if (this.mode === 'after-reasoning') {
        // The blank lines between the reasoning and the answer belong to neither.
        this.pending = this.pending.trimStart();
        if (this.pending === '') break;
        this.mode = 'answer';
      }
      const from = Math.max(0, this.pending.length - TAIL_WINDOW);
      const tail = MAYBE_EOS_TAIL.exec(this.pending.slice(from));
      const cut = tail ? from + tail.index : this.pending.length;
      text += this.pending.slice(0, cut);
      this.pending = this.pending.slice(cut);
      break;
    }
    return this.release(text, reasoning);
  }

  private release(text: string, reasoning: string): ReplyPiece {
    this.reasoningSent += reasoning;
    return { text, reasoning };
  }
}

/** Splits a whole reply (see {@link ReplySplitter}) into answer and reasoning. */
export function splitReply(modelId: string, content: string, reasoningField?: string): ReplyPiece {
  const splitter = new ReplySplitter(modelId);
  if (reasoningField) splitter.addReasoning(reasoningField);
  const first = splitter.push(content);
  const last = splitter.end();
  return { text: first.text + last.text, reasoning: splitter.reasoning };
}
