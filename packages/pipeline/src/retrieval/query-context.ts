import type { KeywordIndex } from './keyword-index.js';
import { asksForCode, type QuestionVocabulary } from './question-signals.js';
import { analyzeQueryGroups } from './text-analysis.js';

/** How a question is read before any signal runs. */
export interface QuerySettings {
  /** The words by which a question asks for a code. */
  vocabulary: QuestionVocabulary;
  /**
   * Weight of years, dates and versions in the question (`2011`, `20211203`, `v1.7`) relative to
   * other terms in chunk scoring: they name the edition of a document ("the 2019 spec") rather
   * than the words of the answer. Document scoring keeps them at full weight.
   */
  editionTermWeight: number;
}

/** A question analysed against the keyword index: its terms, their weights and groups. */
export interface QueryContext {
  readonly question: string;
  /** Analyzed terms grouped by the word they came from (a compound's parts are one group). */
  readonly groups: readonly string[][];
  /** Distinct analyzed terms. */
  readonly terms: readonly string[];
  /** Each group's term ids in the index (terms the index does not hold are left out). */
  readonly groupIds: readonly number[][];
  /** Each group's weight: its most specific member that occurs, or a rare term's weight when none does. */
  readonly groupWeights: readonly number[];
  /** Sum of the group weights (1 for a question without terms). */
  readonly totalWeight: number;
  /** Inverse chunk frequency of a term, with edition terms down-weighted. */
  idf(term: string): number;
  /** Chunks holding a term. */
  df(term: string): number;
  /** Index id of the question's rarest term that occurs, or -1. */
  readonly rarestTermId: number;
  /** How much the question asks about codes (encodings, bit patterns), in [0, 1]. */
  readonly codeQuestion: number;
}

/** Years, dates and versions (`2019`, `20211203`, `v1.7`): in a question they name an edition of a document. */
export function isEditionTerm(term: string): boolean {
  return /^(?:(?:19|20)\d\d(?:\d{4})?|v\d+(?:\.\d+)+)$/.test(term);
}

/** Analyses a question against the index. */
export function buildQueryContext(question: string, index: KeywordIndex, settings: QuerySettings): QueryContext {
  const groups = analyzeQueryGroups(question);
  const terms = [...new Set(groups.flat())];
  const n = index.size;
  const df = (term: string): number => index.documentFrequency(term);
  const idf = (term: string): number => {
    const f = df(term);
    return Math.log(1 + (n - f + 0.5) / (f + 0.5)) * (isEditionTerm(term) ? settings.editionTermWeight : 1);
  };
  const groupWeights = groups.map((group) => {
    const known = group.filter((t) => df(t) > 0);
    return known.length ? Math.max(...known.map(idf)) : Math.log(1 + n);
  });
  const totalWeight = groupWeights.reduce((a, b) => a + b, 0) || 1;
  const groupIds = groups.map((group) => group.map((t) => index.termId(t)).filter((id) => id >= 0));
  const rarest = terms.filter((t) => df(t) > 0).sort((a, b) => df(a) - df(b))[0];
  const codeQuestion = asksForCode(question, settings.vocabulary) ? 1 : 0;
  return { question, groups, terms, groupIds, groupWeights, totalWeight, idf, df, rarestTermId: rarest === undefined ? -1 : index.termId(rarest), codeQuestion };
}
