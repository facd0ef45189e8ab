import { estimateTokens, type Answer, type ChatMessage, type ChatModelV1, type Citation, type RetrievalHit, type SourceDocument, type UsageEvent } from '@ragbridge/core-interfaces';
import type { RetrievalEvidence } from '../retrieval/retriever.js';
import { checkCitationSupport } from './citation-support.js';
import { parseCitations } from './citations.js';
import { StreamingCitationCleaner } from './stream-citations.js';
import { extractiveAnswer } from './extractive-answer.js';
import { historyMessages, type ConversationTurn } from './follow-up.js';
import { decideRefusal, DEFAULT_REFUSAL_POLICY, isModelRefusal, type RefusalDecision, type RefusalPolicy } from './refusal-policy.js';

/** The text given when the documents do not support an answer. */
export const REFUSAL_TEXT = "The documents don't say. I found no passage that answers this question.";

/** Options of {@link createAnswerer}. */
export interface AnswererOptions {
  /** Generates answers from the numbered sources; without it answers are extractive. */
  chatModel?: ChatModelV1;
  /** Sources given to the model or quoted. @default 5 */
  sources?: number;
  /** When to refuse instead of answering, for every answer path. @default {@link DEFAULT_REFUSAL_POLICY} */
  refusal?: Partial<RefusalPolicy>;
  /** Sentences quoted by an extractive answer. @default 3 */
  extractiveSentences?: number;
  /** Longest answer the model may write, in tokens. @default {@link ANSWERER_DEFAULTS}.maxTokens */
  maxTokens?: number;
  /**
   * Most tokens (estimated) of the prompt given to the model: past it, the oldest earlier turns,
   * then the lowest-ranked sources are left out; the best source always stays. @default no limit
   */
  maxContextTokens?: number;
  /** Looks up document names for citations. */
  documentName: (docId: string) => SourceDocument['name'];
}

/** A piece of a streamed answer. */
export type AnswerStreamPart = { type: 'text-delta'; delta: string } | { type: 'answer'; answer: Answer };

/** Turns retrieved evidence into an answer with validated citations. */
export interface Answerer {
  answer(question: string, hits: RetrievalHit[], evidence: RetrievalEvidence, options?: AnswerCallOptions): Promise<Answer>;
  stream(question: string, hits: RetrievalHit[], evidence: RetrievalEvidence, options?: AnswerCallOptions): AsyncIterable<AnswerStreamPart>;
}

/** Per-question options of an {@link Answerer}. */
export interface AnswerCallOptions {
  abortSignal?: AbortSignal;
  /** Earlier turns of the conversation: given to the chat model before the question. */
  history?: readonly ConversationTurn[];
  /** The question as retrieved (with the previous question for a follow-up): extractive answers match sentences against it when the question's own words match none. @default the question */
  retrievalQuestion?: string;
  /** Longest answer for this question, in tokens; never more than the answerer's `maxTokens`. */
  maxTokens?: number;
}

const SYSTEM_PROMPT = [
  'You answer questions about technical documents using only the numbered sources provided.',
  'Cite every claim with the source number in square brackets, like [1] or [2][3].',
  `If the sources do not contain the answer, reply exactly: "${REFUSAL_TEXT}"`,
  'Be concise and precise; quote numbers, encodings and names exactly as the sources give them.',
].join(' ');

/** The numbered-source prompt sent to a chat model. */
export function buildPrompt(question: string, hits: readonly RetrievalHit[], documentName: (docId: string) => string, history?: readonly ConversationTurn[]): ChatMessage[] {
  const sources = hits
    .map((hit, i) => {
      // Documents without pages (HTML, Markdown) are cited by section, not by "page 1".
      const place = hit.chunk.section ? `§ ${hit.chunk.section.title}` : `page ${hit.chunk.pageLabel}`;
      const path = hit.chunk.sectionPath.length && !hit.chunk.section ? `, ${hit.chunk.sectionPath.join(' > ')}` : '';
      const where = `${documentName(hit.chunk.docId)}, ${place}${path}`;
      return `[${i + 1}] (${where}) ${hit.chunk.text.replace(/\s*\n\s*/g, ' ')}`;
    })
    .join('\n\n');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    // Earlier turns first, so a follow-up ("and its encoding?") is read in their light.
    ...historyMessages(history),
    { role: 'user', content: `Sources:\n${sources}\n\nQuestion: ${question}` },
  ];
}

/** Tokens a chat message adds besides its text (role and separators), roughly, for the context budget. */
const MESSAGE_OVERHEAD_TOKENS = 4;

const promptTokens = (messages: readonly ChatMessage[]): number => messages.reduce((n, m) => n + estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);

/**
 * The prompt for the best `hits` within `maxContextTokens` (estimated): the oldest earlier turns
 * are left out first, then the lowest-ranked sources, but the best source always stays. Returns
 * the messages and the sources they number (citations refer to these).
 */
export function buildBudgetedPrompt(
  question: string,
  hits: readonly RetrievalHit[],
  documentName: (docId: string) => string,
  history: readonly ConversationTurn[] | undefined,
  maxContextTokens: number | undefined,
): { messages: ChatMessage[]; sources: RetrievalHit[] } {
  let sources = [...hits];
  let turns = [...(history ?? [])];
  let messages = buildPrompt(question, sources, documentName, turns);
  if (maxContextTokens === undefined) return { messages, sources };
  while (promptTokens(messages) > maxContextTokens && (turns.length > 0 || sources.length > 1)) {
    if (turns.length > 0) turns = turns.slice(1);
    else sources = sources.slice(0, -1);
    messages = buildPrompt(question, sources, documentName, turns);
  }
  return { messages, sources };
}

function citationsFor(used: number[], hits: readonly RetrievalHit[], documentName: (docId: string) => string): Citation[] {
  return used.map((n) => {
    const chunk = (hits[n - 1] as RetrievalHit).chunk;
    return { index: n, docId: chunk.docId, docName: documentName(chunk.docId), page: chunk.page, pageLabel: chunk.pageLabel, chunkId: chunk.id, ...(chunk.section && { section: chunk.section }) };
  });
}

export { extractiveAnswer } from './extractive-answer.js';

/** The answerer's defaults. */
export const ANSWERER_DEFAULTS = {
  /** Sources given to the answer generator (and cited from). */
  sources: 5,
  /** Longest answer the model may write, in tokens. */
  maxTokens: 512,
} as const;

/**
 * Creates the answerer: a generative answer from the chat model with the sources numbered, or an
 * extractive one when no model is configured, so the system always answers. When the evidence is
 * weak it refuses instead of guessing. Citations are validated against the sources given.
 */
export function createAnswerer(options: AnswererOptions): Answerer {
  const sourceCount = options.sources ?? ANSWERER_DEFAULTS.sources;
  const answerLimit = options.maxTokens ?? ANSWERER_DEFAULTS.maxTokens;
  const maxTokensOf = (call: AnswerCallOptions): number => Math.min(answerLimit, call.maxTokens ?? answerLimit);
  const promptFor = (question: string, hits: RetrievalHit[], call: AnswerCallOptions) => buildBudgetedPrompt(question, hits, name, call.history, options.maxContextTokens);
  const policy: RefusalPolicy = { ...DEFAULT_REFUSAL_POLICY, ...options.refusal };
  const name = options.documentName;

  const refusal = (hits: RetrievalHit[], usage: UsageEvent[], mode: Answer['mode'], reason: string): Answer => ({
    text: REFUSAL_TEXT,
    citations: [],
    refused: true,
    refusalReason: reason,
    mode,
    invalidCitations: [],
    sources: hits,
    usage,
  });

  const finish = (raw: string, sources: RetrievalHit[], usage: UsageEvent[]): Answer => {
    const parsed = parseCitations(raw, sources.length);
    if (isModelRefusal(parsed.text, parsed.used.length)) return refusal(sources, usage, 'generative', 'the model found no answer in the sources');
    // Each citation must point at a source that holds its sentence.
    const checked = checkCitationSupport(parsed.text, sources);
    const corrected = checked.moved.length + checked.removed.length > 0;
    const final = corrected ? parseCitations(checked.text, sources.length) : parsed;
    return {
      text: final.text,
      citations: citationsFor(final.used, sources, name),
      refused: false,
      mode: 'generative',
      invalidCitations: parsed.invalid,
      ...(corrected && { correctedCitations: { moved: checked.moved, removed: checked.removed } }),
      sources,
      usage,
    };
  };

  /** The answer once the refusal policy has decided (decided once per question, whether answered whole or streamed). */
  const answerWith = async (question: string, hits: RetrievalHit[], decision: RefusalDecision, call: AnswerCallOptions): Promise<Answer> => {
    const sources = hits.slice(0, sourceCount);
    if (decision.refuse) return refusal(sources, [], options.chatModel ? 'generative' : 'extractive', decision.reason ?? 'the documents do not support an answer');
    if (!options.chatModel) {
      // A follow-up's own words pick its sentences (the passages were found with the previous
      // question too); when they match none ("Why is it needed?"), the question is read with the previous one.
      const settings = { ...(options.extractiveSentences !== undefined && { maxSentences: options.extractiveSentences }) };
      let { text, used } = extractiveAnswer(question, sources, settings);
      if (!text && call.retrievalQuestion && call.retrievalQuestion !== question) ({ text, used } = extractiveAnswer(call.retrievalQuestion, sources, settings));
      if (!text) return refusal(sources, [], 'extractive', 'no sentence of the best passages matches the question');
      return { text, citations: citationsFor(used, sources, name), refused: false, mode: 'extractive', invalidCitations: [], sources, usage: [] };
    }
    const prompt = promptFor(question, sources, call);
    const result = await options.chatModel.generate({
      messages: prompt.messages,
      maxTokens: maxTokensOf(call),
      temperature: 0,
      ...(call.abortSignal && { abortSignal: call.abortSignal }),
    });
    return finish(result.text, prompt.sources, [result.usage]);
  };

  return {
    async answer(question, hits, evidence, call = {}) {
      return answerWith(question, hits, decideRefusal(evidence, hits.length, policy), call);
    },
    async *stream(question, hits, evidence, call = {}) {
      const decision = decideRefusal(evidence, hits.length, policy);
      if (!options.chatModel || decision.refuse) {
        const answer = await answerWith(question, hits, decision, call);
        yield { type: 'text-delta', delta: answer.text };
        yield { type: 'answer', answer };
        return;
      }
      const { messages, sources } = promptFor(question, hits.slice(0, sourceCount), call);
      let raw = '';
      let usage: UsageEvent | undefined;
      // Citations are cleaned as they stream: no reader sees a `[9]` the final answer drops.
      const cleaner = new StreamingCitationCleaner(sources.length);
      for await (const part of options.chatModel.stream({
        messages,
        maxTokens: maxTokensOf(call),
        temperature: 0,
        ...(call.abortSignal && { abortSignal: call.abortSignal }),
      })) {
        if (part.type === 'text-delta') {
          raw += part.delta;
          const shown = cleaner.push(part.delta);
          if (shown) yield { type: 'text-delta', delta: shown };
        } else usage = part.usage;
      }
      const rest = cleaner.end();
      if (rest) yield { type: 'text-delta', delta: rest };
      yield { type: 'answer', answer: finish(raw, sources, usage ? [usage] : []) };
    },
  };
}
