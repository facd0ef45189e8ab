import { inverseChunkFrequency, type KeywordIndex } from './keyword-index.js';
import { asksForCode, type QuestionVocabulary } from './question-signals.js';
import { type SpecificTerm, specificTerms } from './specific-terms.js';
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

/** A question's analysed terms, before any index is read. */
export interface QueryTerms {
  readonly question: string;
  /** Analyzed terms grouped by the word they came from (a compound's parts are one group). */
  readonly groups: readonly string[][];
  /** Distinct analyzed terms. */
  readonly terms: readonly string[];
  /** Weight multiplier of the terms weighted other than 1 in chunk scoring (edition terms). */
  readonly termWeights: Readonly<Record<string, number>>;
  /** Words of the question that name something, with their index forms. */
  readonly specific: readonly SpecificTerm[];
}

/** A question analysed against the keyword index: its terms, their weights and groups. */
export interface QueryContext extends QueryTerms {
  /** Each group's term ids in the index (terms the index does not hold are left out). */
  readonly groupIds: readonly number[][];
  /** Each group's weight: its most specific member that occurs, or a rare term's weight when none does. */
  readonly groupWeights: readonly number[];
  /** Sum of the group weights (1 for a question without terms). */
  readonly totalWeight: number;
  /** Inverse chunk frequency of a term, with edition terms down-weighted. */
  idf(term: string): number;
  /** Chunks of the collection holding a term. */
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

/** Analyses a question's words: groups, distinct terms, their weights, and the words that name something. */
export function analyzeQuestion(question: string, settings: Pick<QuerySettings, 'editionTermWeight'>): QueryTerms {
  const groups = analyzeQueryGroups(question);
  const terms = [...new Set(groups.flat())];
  const termWeights: Record<string, number> = {};
  for (const term of terms) if (isEditionTerm(term)) termWeights[term] = settings.editionTermWeight;
  return { question, groups, terms, termWeights, specific: specificTerms(question) };
}

/** Reads an analysed question against the index (whose collection statistics give frequencies). */
export function buildQueryContext(question: string | QueryTerms, index: KeywordIndex, settings: QuerySettings): QueryContext {
  const analysed = typeof question === 'string' ? analyzeQuestion(question, settings) : question;
  const { groups, terms, termWeights } = analysed;
  const n = index.chunkCount;
  const df = (term: string): number => index.chunkFrequency(term);
  const idf = (term: string): number => inverseChunkFrequency(n, df(term)) * (termWeights[term] ?? 1);
  const groupWeights = groups.map((group) => {
    const known = group.filter((t) => df(t) > 0);
    return known.length ? Math.max(...known.map(idf)) : Math.log(1 + n);
  });
  const totalWeight = groupWeights.reduce((a, b) => a + b, 0) || 1;
  const groupIds = groups.map((group) => group.map((t) => index.termId(t)).filter((id) => id >= 0));
  const rarest = terms.filter((t) => df(t) > 0).sort((a, b) => df(a) - df(b))[0];
  const codeQuestion = asksForCode(analysed.question, settings.vocabulary) ? 1 : 0;
  return { ...analysed, groupIds, groupWeights, totalWeight, idf, df, rarestTermId: rarest === undefined ? -1 : index.termId(rarest), codeQuestion };
}
