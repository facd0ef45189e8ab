/** A retrieved page (or, for documents without pages, section), as the eval output lists it. */
export interface RetrievedPage {
  doc: string;
  page: number;
  /** The section's anchor (or title when it has none), for documents cited by section. */
  section?: string;
  score: number;
}

/** Where the answer to a question is. */
export interface Evidence {
  doc: string;
  /** Physical pages (1-based) that hold the answer. */
  pages?: number[];
  /** For documents cited by section (HTML, Markdown): anchors or titles of the sections that hold the answer. */
  sections?: string[];
  /** Words of the document that state the answer; a page containing them holds the evidence too. */
  quote?: string;
}

/** One question of an eval set (only id and question are required). */
export interface EvalItem {
  id: string;
  question: string;
  category?: string;
  /** Where the answer is; an empty list marks a question the documents do not answer. Absent: unlabelled. */
  evidence?: Evidence[];
  /** Strings a correct answer contains (case-insensitive). */
  mustContain?: string[];
}

/** A cited page or section of an answer. */
export interface CitedUnit {
  doc: string;
  page: number;
  section?: string;
}

/** Metrics of one group of questions. */
export interface RetrievalMetrics {
  questions: number;
  hitAt1: number;
  hitAt5: number;
  hitAt10: number;
  mrrAt10: number;
}

/** Whether a retrieved or cited unit is one the evidence names (same document, and a listed page or section). */
export function unitMatches(unit: { doc: string; page: number; section?: string }, evidence: Evidence): boolean {
  if (unit.doc !== evidence.doc) return false;
  if (evidence.sections?.length) return unit.section !== undefined && evidence.sections.includes(unit.section);
  return evidence.pages?.includes(unit.page) ?? false;
}

/** Rank (0-based) of the first retrieved unit that is evidence, within the top 10, or -1. */
export function firstRelevantRank(retrieved: readonly RetrievedPage[], evidence: readonly Evidence[]): number {
  return retrieved.slice(0, 10).findIndex((r) => evidence.some((e) => unitMatches(r, e)));
}

/** hit@1/5/10 and MRR@10 over questions that have evidence. */
export function retrievalMetrics(ranks: readonly number[]): RetrievalMetrics {
  const n = ranks.length;
  const share = (k: number): number => (n === 0 ? 0 : ranks.filter((r) => r >= 0 && r < k).length / n);
  const mrr = n === 0 ? 0 : ranks.reduce((sum, r) => sum + (r >= 0 && r < 10 ? 1 / (r + 1) : 0), 0) / n;
  return { questions: n, hitAt1: share(1), hitAt5: share(5), hitAt10: share(10), mrrAt10: mrr };
}

/** Letters and digits only, lower case: text compared this way ignores spacing, punctuation, hyphenation and case. */
export function squashText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * Whether a cited unit holds the evidence: it is one the evidence names, or its text contains an
 * evidence quote (the same words on another page, e.g. in another edition, support the claim too).
 */
export function citationSupported(unit: CitedUnit, evidence: readonly Evidence[], unitText: string): boolean {
  if (evidence.some((e) => unitMatches(unit, e))) return true;
  const text = squashText(unitText);
  return evidence.some((e) => e.quote !== undefined && squashText(e.quote).length >= 12 && text.includes(squashText(e.quote)));
}

/** What happened to one labelled question. */
export interface QuestionOutcome {
  id: string;
  category: string;
  /** True when the documents answer it, false for out-of-scope questions. */
  answerable: boolean;
  /** Rank of the first relevant unit (-1 when none in the top 10 or out of scope). */
  rank: number;
  refused: boolean;
  /** Cited units of an answer, and how many of them hold the evidence. */
  cited: number;
  supported: number;
  /** For an answered question with `mustContain`: whether the answer contains all of it. */
  containsExpected?: boolean;
}

/** The figures `ragbridge eval` reports for a set of questions. */
export interface EvalSummary {
  inScope: RetrievalMetrics;
  categories: Record<string, RetrievalMetrics>;
  refusals: { outOfScope: number; outOfScopeRefused: number; inScope: number; inScopeRefused: number; outOfScopeRefusedShare: number; inScopeRefusedShare: number };
  /** Share of the pages cited by answers to answerable questions that hold the evidence. */
  citationSupport: { cited: number; supported: number; share: number };
  /** Share of answered questions with `mustContain` whose answer contains all of it. */
  expectedContent: { answers: number; containing: number; share: number };
}

/** Summarises outcomes: retrieval metrics, per-category metrics, refusals, citation support, expected content. */
export function summarize(outcomes: readonly QuestionOutcome[]): EvalSummary {
  const answerable = outcomes.filter((o) => o.answerable);
  const outOfScope = outcomes.filter((o) => !o.answerable);
  const categories: Record<string, RetrievalMetrics> = {};
  for (const category of [...new Set(answerable.map((o) => o.category))].sort()) {
    categories[category] = retrievalMetrics(answerable.filter((o) => o.category === category).map((o) => o.rank));
  }
  const cited = answerable.reduce((n, o) => n + o.cited, 0);
  const supported = answerable.reduce((n, o) => n + o.supported, 0);
  const checked = answerable.filter((o) => o.containsExpected !== undefined);
  const containing = checked.filter((o) => o.containsExpected).length;
  const inScopeRefused = answerable.filter((o) => o.refused).length;
  const outOfScopeRefused = outOfScope.filter((o) => o.refused).length;
  return {
    inScope: retrievalMetrics(answerable.map((o) => o.rank)),
    categories,
    refusals: {
      outOfScope: outOfScope.length,
      outOfScopeRefused,
      inScope: answerable.length,
      inScopeRefused,
      outOfScopeRefusedShare: outOfScope.length ? outOfScopeRefused / outOfScope.length : 0,
      inScopeRefusedShare: answerable.length ? inScopeRefused / answerable.length : 0,
    },
    citationSupport: { cited, supported, share: cited ? supported / cited : 0 },
    expectedContent: { answers: checked.length, containing, share: checked.length ? containing / checked.length : 0 },
  };
}
