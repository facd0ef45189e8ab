import type { Candidate, CandidateSetStats } from '../candidates.js';
import type { KeywordIndex } from '../keyword-index.js';
import type { QueryContext } from '../query-context.js';

/** What every signal may read about the question and the candidate set. */
export interface SignalContext {
  readonly query: QueryContext;
  readonly index: KeywordIndex;
  readonly stats: CandidateSetStats;
}

/** A candidate whose text has been read (the passage stage). */
export interface PassageCandidate extends Candidate {
  readonly text: string;
  /** The text's words as ids of the phrase dictionary, in reading order. */
  readonly words: Int32Array;
}

/** What passage signals read besides the {@link SignalContext}. */
export interface PassageContext extends SignalContext {
  /** The question's word trigrams (stopwords included) as dictionary ids, by first word, with their position in the question. */
  readonly trigrams: ReadonlyMap<number, ReadonlyArray<readonly [second: number, third: number, position: number]>>;
  /** Number of word trigrams in the question (0 below three words). */
  readonly trigramCount: number;
  /** For a definition question, a pattern matching a sentence that defines its term. */
  readonly definition: RegExp | undefined;
}

/**
 * A signal scored on every keyword candidate from index statistics alone (cheap: thousands of
 * candidates per millisecond).
 */
export interface CandidateSignal<Name extends string = string> {
  readonly name: Name;
  readonly stage: 'candidate';
  /** One line on what it measures, shown with explanations. */
  readonly description: string;
  /** The signal's value for one candidate, usually in [0, 1]. Pure: same inputs, same value. */
  score(context: SignalContext, candidate: Candidate): number;
}

/** A signal scored only on the best candidates, after their text has been read. */
export interface PassageSignal<Name extends string = string> {
  readonly name: Name;
  readonly stage: 'passage';
  readonly description: string;
  score(context: PassageContext, candidate: PassageCandidate): number;
}

/** One named retrieval signal; its weight lives in the signal table. */
export type RetrievalSignal = CandidateSignal | PassageSignal;
