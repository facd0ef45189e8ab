import type { PassageSignal } from './retrieval-signal.js';

/** The share of the question's word trigrams (stopwords and single letters included) found verbatim in the chunk. */
export const phraseSignal: PassageSignal<'phrase'> = {
  name: 'phrase',
  stage: 'passage',
  description: "the share of the question's three-word phrases (small words included) found verbatim in the chunk",
  score: (context, candidate) => {
    if (context.trigramCount === 0 || context.trigrams.size === 0) return 0;
    const words = candidate.words;
    const found = new Set<number>();
    for (let i = 0; i + 2 < words.length; i++) {
      const list = context.trigrams.get(words[i] as number);
      if (!list) continue;
      for (const [second, third, position] of list) if (words[i + 1] === second && words[i + 2] === third) found.add(position);
    }
    return found.size / context.trigramCount;
  },
};
