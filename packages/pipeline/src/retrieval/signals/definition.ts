import type { PassageSignal } from './retrieval-signal.js';

/**
 * 1 when the question asks what a term is ("what is X", "what does X mean", "define X") and the
 * chunk defines X: X at the start of a line, sentence or bullet, followed by a colon, an opening
 * parenthesis or a defining verb.
 */
export const definitionSignal: PassageSignal<'definition'> = {
  name: 'definition',
  stage: 'passage',
  description: 'the chunk defines the term a "what is X" question asks about',
  score: (context, candidate) => (context.definition?.test(candidate.text) ? 1 : 0),
};
