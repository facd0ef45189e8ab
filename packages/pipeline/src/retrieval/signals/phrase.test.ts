import { describe, expect, it } from 'vitest';
import type { Candidate } from '../candidates.js';
import { ChunkWords } from '../chunk-words.js';
import { phraseSignal } from './phrase.js';
import type { PassageContext } from './retrieval-signal.js';

/** Phrase scores of texts for a question, through the signal as the retriever calls it. */
function phraseScores(question: string, texts: string[]): number[] {
  const words = new ChunkWords();
  const chunks = texts.map((text, i) => ({ id: `c${i}`, text }));
  const sequences = words.passageWords(chunks);
  const { trigrams, count } = words.questionTrigrams(question);
  const context = { trigrams, trigramCount: count } as unknown as PassageContext;
  return chunks.map((chunk, i) => phraseSignal.score(context, { ...({} as Candidate), text: chunk.text, words: sequences[i] as Int32Array }));
}

describe('phrase signal', () => {
  it('scores the share of question trigrams found verbatim, stopwords and single letters included', () => {
    const texts = ['Each leaf PTE contains the A and D bits.', 'The D bit and the A bit are set by hardware.', 'nothing in common'];
    // "the a and", "a and d", "and d bits" → 3 trigrams.
    expect(phraseScores('the A and D bits', texts)).toEqual([1, 0, 0]);
    expect(phraseScores('the D bit', texts)).toEqual([0, 1, 0]);
    expect(phraseScores('two words', texts)).toEqual([0, 0, 0]);
    // A trigram with a word no chunk holds still counts in the share: 1 of 2 found.
    expect(phraseScores('the A and zebra', texts)).toEqual([0.5, 0, 0]);
  });
});
