import type { ChatMessage } from '@ragbridge/core-interfaces';
import { analyzeQuery } from '../retrieval/text-analysis.js';

/** One earlier exchange of a conversation, oldest first in a history. */
export interface ConversationTurn {
  question: string;
  /** The answer given (its `[n]` citations refer to that turn's sources and are dropped here). */
  answer?: string;
}

/** Words by which a question points back at the previous one ("its encoding", "what about …"). */
const REFERS_BACK =
  /\b(?:it|its|itself|this|that|these|those|they|them|their|there|here|the same|such|former|latter|above|previous|else)\b|^\s*(?:and|but|or|so|also|what about|how about|why|why not|how so|and then)\b/i;

/** A question with at most this many index terms of its own leans on the conversation. */
const SHORT_QUESTION_TERMS = 2;

/**
 * The text to retrieve with for a question asked after others: the question alone when it stands
 * on its own; otherwise — it points back ("What is its encoding?") or is too short to say what it
 * is about ("And on RV64?") — the previous question followed by this one, so the retrieval keeps
 * the subject. Only the previous question is used: older turns rarely hold the subject and often
 * pull towards a topic the conversation has left.
 */
export function followUpQuestion(question: string, history: readonly ConversationTurn[] | undefined): string {
  const previous = history?.at(-1)?.question.trim();
  if (!previous) return question;
  const standsAlone = analyzeQuery(question).length > SHORT_QUESTION_TERMS && !REFERS_BACK.test(question);
  return standsAlone ? question : `${previous} ${question}`;
}

/** Turns kept in a prompt, and the characters kept of each earlier answer. */
const PROMPT_TURNS = 3;
const PROMPT_ANSWER_CHARS = 1_200;

/** The earlier turns as chat messages (for a chat model's prompt), their citations removed. */
export function historyMessages(history: readonly ConversationTurn[] | undefined): ChatMessage[] {
  if (!history?.length) return [];
  return history.slice(-PROMPT_TURNS).flatMap((turn): ChatMessage[] => {
    const answer = (turn.answer ?? '').replace(/\s?\[\d+(?:\s*[,;–-]\s*\d+)*\]/g, '').trim().slice(0, PROMPT_ANSWER_CHARS);
    return [{ role: 'user', content: turn.question.trim() }, ...(answer ? [{ role: 'assistant' as const, content: answer }] : [])];
  });
}
