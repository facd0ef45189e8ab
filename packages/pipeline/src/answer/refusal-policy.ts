import type { RetrievalEvidence } from '../retrieval/evidence.js';

/**
 * When the documents do not support an answer. Every answer path (extractive, generative,
 * streamed) asks {@link decideRefusal} before answering, so they refuse alike.
 */
export interface RefusalPolicy {
  /**
   * Refuse when the best of the top hits holds less than this share of the question's weight
   * (rare terms weigh more; a term the corpus lacks weighs as the rarest).
   */
  minCoverage: number;
  /** Refuse when a name or identifier of the question (`Kubernetes`, `ISO 60601-1-2`) occurs nowhere in the documents. */
  refuseUnknownNames: boolean;
  /**
   * Refuse when a name the documents mention only in passing (a few chunks, none of them among
   * the top hits) comes with coverage below this — or whatever the coverage, when none of the
   * question's names is in the top hits.
   */
  minCoverageWithWeakNames: number;
  /**
   * With dense retrieval: answer a question whose keyword evidence is weak when a top hit is at
   * least this similar to it (paraphrases), unless a name it asks about is unknown. Off when undefined.
   */
  denseRescueSimilarity?: number;
  /** With a reranker: refuse when no top hit scores at least this. Off when undefined. */
  minRerankScore?: number;
}

/**
 * The calibrated policy of the embedded default (keyword retrieval): what `fitRefusalPolicy` finds
 * on all 120 development questions — the coverage threshold refusing 2% of the answerable ones,
 * twice that with a name mentioned only in passing, and the unknown-name rule — the procedure
 * whose held-out rates `ragbridge eval --folds 5` reports (docs/evaluation.md).
 */
export const DEFAULT_REFUSAL_POLICY: Readonly<RefusalPolicy> = {
  minCoverage: 0.23,
  refuseUnknownNames: true,
  minCoverageWithWeakNames: 0.45,
};

/** A refusal decision and, when refusing, why (for people: names the missing term or the weak coverage). */
export interface RefusalDecision {
  refuse: boolean;
  reason?: string;
}

const percent = (x: number): string => `${Math.round(x * 100)}%`;

/** Decides from the evidence of the top hits whether the documents support an answer. */
export function decideRefusal(evidence: RetrievalEvidence, hitCount: number, policy: RefusalPolicy = DEFAULT_REFUSAL_POLICY): RefusalDecision {
  // The most specific reason first: a name the documents lack says more than "nothing matched".
  if (policy.refuseUnknownNames && evidence.missingSpecificTerms.length > 0) {
    return { refuse: true, reason: `the documents never mention ${evidence.missingSpecificTerms.map((t) => `"${t}"`).join(', ')}` };
  }
  if (hitCount === 0) return { refuse: true, reason: 'no passage matches the question' };
  if (policy.minRerankScore !== undefined && evidence.rerankScore !== undefined && evidence.rerankScore < policy.minRerankScore) {
    return { refuse: true, reason: `the reranker found no passage relevant enough (best ${evidence.rerankScore.toFixed(2)})` };
  }
  const rescued = policy.denseRescueSimilarity !== undefined && evidence.denseSimilarity !== undefined && evidence.denseSimilarity >= policy.denseRescueSimilarity;
  if (rescued) return { refuse: false };
  // A name mentioned only in passing: refuse when coverage is weak, or when none of the question's
  // names is in the best passages (the question is about what the documents barely mention).
  if (evidence.weakSpecificTerms.length > 0 && (evidence.coverage < policy.minCoverageWithWeakNames || evidence.specificCoverage === 0)) {
    return {
      refuse: true,
      reason:
        evidence.specificCoverage === 0
          ? `the documents mention ${evidence.weakSpecificTerms.map((t) => `"${t}"`).join(', ')} only in passing, and none of the best passages does`
          : `the documents mention ${evidence.weakSpecificTerms.map((t) => `"${t}"`).join(', ')} only in passing, and no passage covers the question well (best ${percent(evidence.coverage)})`,
    };
  }
  if (evidence.coverage < policy.minCoverage) return { refuse: true, reason: `no passage covers enough of the question (best ${percent(evidence.coverage)})` };
  return { refuse: false };
}

/**
 * Phrases with which a model says the sources do not answer: negation + a verb of containing or
 * saying, or "no information". Matched on the answer's opening, so an answer that quotes such
 * words later is not taken for a refusal.
 */
const MODEL_REFUSAL =
  /\b(?:(?:do|does|did)\s*n[o']t|cannot|can't|could\s*n[o']t|unable to|not able to)\s+(?:\w+\s+){0,3}(?:say|contain|mention|cover|address|include|provide|answer|specify|state|find|determine|describe|discuss|tell)\b|\bno (?:relevant |specific |such )?(?:information|passage|mention|answer|details?)\b|\bnot (?:mentioned|covered|addressed|specified|stated|found|described|discussed)\b|\b(?:is|are) (?:not|n't) (?:in|part of) the (?:sources|documents|context)\b/i;

/** Words by which a model refers to what it was given. */
const SOURCES = /\b(?:sources?|documents?|documentation|context|passages?|excerpts?|provided|materials?)\b/i;

/**
 * Whether a model's answer is a refusal: it cites nothing and says, in its opening, that the
 * sources do not answer (in whatever words: the fixed refusal text is one of many) or that it does
 * not know. "X does not contain Y" about the subject itself is an answer, not a refusal.
 */
export function isModelRefusal(text: string, citationCount: number): boolean {
  if (citationCount > 0) return false;
  const opening = text.replace(/\s+/g, ' ').trim().slice(0, 240);
  if (opening.length === 0) return true;
  if (/^(?:sorry,?\s*)?i (?:do not|don't) know\b/i.test(opening)) return true;
  return MODEL_REFUSAL.test(opening) && SOURCES.test(opening);
}
