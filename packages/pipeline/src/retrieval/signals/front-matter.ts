import type { PassageSignal } from './retrieval-signal.js';

/**
 * 1 for a table of contents or index (three or more dotted leaders): such pages repeat the words
 * of every section title but answer nothing, so the signal's weight is negative.
 */
export const frontMatterSignal: PassageSignal<'frontMatter'> = {
  name: 'frontMatter',
  stage: 'passage',
  description: 'a table of contents or index page (dotted leaders), which repeats section titles but answers nothing',
  score: (_context, candidate) => ((candidate.text.match(/(?:\.\s?){5,}/g) ?? []).length >= 3 ? 1 : 0),
};
