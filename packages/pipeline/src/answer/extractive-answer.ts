import type { RetrievalHit } from '@ragbridge/core-interfaces';
import { analyze, analyzeQueryGroups } from '../retrieval/text-analysis.js';
import { countWords, looksLikeCode, splitAnswerSentences } from './answer-sentences.js';

/**
 * Defaults of {@link ExtractiveAnswerOptions}, in one place. The thresholds are general reading
 * rules, not fitted per question; `relativeThreshold` and `sourceDecay` are the ones worth
 * cross-validating on an evaluation set.
 */
export const EXTRACTIVE_ANSWER_DEFAULTS = {
  maxSentences: 3,
  relativeThreshold: 0.75,
  sourceDecay: 0.04,
  minWords: 5,
} as const;

/** Options of {@link extractiveAnswer}. */
export interface ExtractiveAnswerOptions {
  /** Most sentences (or table rows) quoted. @default 3 */
  maxSentences?: number;
  /**
   * Weight of a question term, e.g. its IDF in the corpus. Without it a term weighs by how rare it
   * is among the sentences of the hits (a term every sentence has does not pick one).
   */
  termWeight?: (term: string) => number;
  /** A further sentence is quoted only when it scores at least this share of the best one. @default 0.75 */
  relativeThreshold?: number;
  /** Score lost per rank of the source (source 3 scores × (1 − 2·decay)), so earlier sources win ties. @default 0.04 */
  sourceDecay?: number;
  /** Prose shorter than this many words is not quoted (a label, not an answer). @default 5 */
  minWords?: number;
}

/** One quoted sentence or table row of an extractive answer. */
export interface ExtractiveAnswerSentence {
  /** The quoted text (for a row, its cells separated by ` | `). */
  text: string;
  /** The 1-based number of the hit whose text holds it: its citation `[n]`. */
  source: number;
  kind: 'sentence' | 'row';
  /** For a row: the header row of its table, when recognisable. */
  header?: string;
  /** Relevance to the question, higher is better (comparable within one answer). */
  score: number;
}

/** What {@link extractiveAnswer} returns. */
export interface ExtractiveAnswer {
  /** The answer text, each sentence followed by its citation; empty when no sentence matches the question. */
  text: string;
  /** Source numbers cited, 1-based, in order of first use. */
  used: number[];
  /** The quoted sentences, in the order of the text. */
  sentences: ExtractiveAnswerSentence[];
}

interface Candidate extends ExtractiveAnswerSentence {
  terms: Set<string>;
  position: number;
  fragment: boolean;
}

/** Words that make a sentence lean on the one before it ("This means…"), so that one is quoted first. */
const LEANS_ON_PREVIOUS = /^(?:this|these|those|it|its|they|their|such|thus|hence|therefore|however|otherwise|instead|consequently|in this case|as a result|for example|for instance)\b/i;

/** The quotable pieces of the hits, each kept once (overlapping chunks repeat sentences) with the best-ranked source that holds it. */
function candidatesOf(hits: readonly RetrievalHit[], minWords: number): Candidate[] {
  const wordCounts = countWords(hits.map((hit) => hit.chunk.text));
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  hits.forEach((hit, i) => {
    for (const piece of splitAnswerSentences(hit.chunk.text, { wordCounts })) {
      if (piece.kind === 'label' || looksLikeCode(piece.text)) continue;
      const words = piece.text.split(' ').length;
      const letters = (piece.text.match(/\p{L}/gu) ?? []).length;
      if (piece.kind !== 'row' && (words < minWords || letters < piece.text.length * 0.5)) continue;
      const key = piece.text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
      if (seen.has(key)) continue;
      seen.add(key);
      const terms = new Set(analyze(piece.text));
      if (terms.size === 0) continue;
      candidates.push({
        text: piece.text,
        source: i + 1,
        kind: piece.kind === 'row' ? 'row' : 'sentence',
        ...(piece.header !== undefined && { header: piece.header }),
        score: 0,
        terms,
        position: piece.position,
        fragment: piece.kind === 'fragment',
      });
    }
  });
  return candidates;
}

/** Default term weight: how rare the term is among the candidate sentences (a smoothed local IDF). */
function localWeights(candidates: readonly Candidate[]): (term: string) => number {
  const frequency = new Map<string, number>();
  for (const candidate of candidates) for (const term of candidate.terms) frequency.set(term, (frequency.get(term) ?? 0) + 1);
  const n = candidates.length;
  return (term) => Math.log(1 + (n + 1) / ((frequency.get(term) ?? 0) + 0.5));
}

/**
 * Relevance of one candidate: the weighted share of the question's term groups it contains (a row
 * also counts its header's terms at half weight), less for very long sentences and for fragments.
 */
function relevance(candidate: Candidate, groups: ReadonlyArray<{ members: string[]; weight: number }>, total: number, headerTerms: Set<string>): number {
  let matched = 0;
  for (const group of groups) {
    if (group.members.some((t) => candidate.terms.has(t))) matched += group.weight;
    else if (group.members.some((t) => headerTerms.has(t))) matched += group.weight / 2;
  }
  if (matched === 0) return 0;
  const words = candidate.text.split(' ').length;
  // A run-on past ~45 words is rarely the answer itself and more often matches by chance.
  const length = words > 45 ? Math.sqrt(45 / words) : 1;
  return (matched / total) * length * (candidate.fragment ? 0.7 : 1);
}

function isNearDuplicate(a: Candidate, b: Candidate): boolean {
  let shared = 0;
  for (const term of a.terms) if (b.terms.has(term)) shared++;
  return shared / (a.terms.size + b.terms.size - shared) >= 0.6;
}

/** Renders the chosen pieces: prose sentences in a paragraph, table rows on lines of their own under their header. */
function render(sentences: readonly ExtractiveAnswerSentence[]): string {
  let text = '';
  let lastHeader: string | undefined;
  for (const sentence of sentences) {
    const cited = `${sentence.text} [${sentence.source}]`;
    if (sentence.kind === 'row') {
      const header = sentence.header !== undefined && sentence.header !== lastHeader ? `${sentence.header}\n` : '';
      text += `${text ? '\n' : ''}${header}${cited}`;
      lastHeader = sentence.header;
    } else {
      text += text ? (text.endsWith(']') && lastHeader !== undefined ? `\n${cited}` : ` ${cited}`) : cited;
      lastHeader = undefined;
    }
  }
  return text;
}

/**
 * The extractive answer: the sentences (or table rows) of the hits that best answer the question,
 * each cited to the hit whose text holds it. Sentences are scored by the weighted share of the
 * question's terms they contain (analyzed like the index, so stems and technical tokens match),
 * slightly preferring better-ranked sources; a further sentence is quoted only when it is nearly
 * as relevant as the best one, so one good sentence is a complete answer. A chosen sentence that
 * leans on the one before it ("This…") brings that one along when there is room.
 */
export function extractiveAnswer(question: string, hits: readonly RetrievalHit[], options: ExtractiveAnswerOptions = {}): ExtractiveAnswer {
  const maxSentences = options.maxSentences ?? EXTRACTIVE_ANSWER_DEFAULTS.maxSentences;
  const relativeThreshold = options.relativeThreshold ?? EXTRACTIVE_ANSWER_DEFAULTS.relativeThreshold;
  const sourceDecay = options.sourceDecay ?? EXTRACTIVE_ANSWER_DEFAULTS.sourceDecay;
  const minWords = options.minWords ?? EXTRACTIVE_ANSWER_DEFAULTS.minWords;
  if (!Number.isInteger(maxSentences) || maxSentences < 1) throw new RangeError(`extractiveAnswer: maxSentences must be a positive integer, got ${maxSentences}`);

  const candidates = candidatesOf(hits, minWords);
  const weight = options.termWeight ?? localWeights(candidates);
  const groups = analyzeQueryGroups(question).map((members) => ({ members, weight: Math.max(0, ...members.map(weight)) }));
  const total = groups.reduce((sum, g) => sum + g.weight, 0);
  if (total <= 0) return { text: '', used: [], sentences: [] };
  const headerTerms = new Map<string, Set<string>>();
  for (const candidate of candidates) {
    const header = candidate.header ?? '';
    if (!headerTerms.has(header)) headerTerms.set(header, new Set(analyze(header)));
    const prior = Math.max(0, 1 - sourceDecay * (candidate.source - 1));
    candidate.score = relevance(candidate, groups, total, headerTerms.get(header) as Set<string>) * prior;
  }
  const ranked = candidates.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.source - b.source || a.position - b.position);
  const best = ranked[0];
  if (!best) return { text: '', used: [], sentences: [] };

  const chosen: Candidate[] = [];
  const covered = new Set<number>();
  const groupsOf = (c: Candidate): number[] => groups.flatMap((g, i) => (g.members.some((t) => c.terms.has(t)) ? [i] : []));
  for (const candidate of ranked) {
    if (chosen.length >= maxSentences || candidate.score < best.score * relativeThreshold) break;
    if (chosen.some((c) => isNearDuplicate(c, candidate))) continue;
    const adds = groupsOf(candidate).filter((i) => !covered.has(i));
    // Another page is cited only for what the quoted ones do not say: question terms they lack.
    if (chosen.length > 0 && !chosen.some((c) => c.source === candidate.source) && adds.length === 0) continue;
    chosen.push(candidate);
    for (const i of adds) covered.add(i);
  }
  withAntecedents(chosen, candidates, maxSentences);

  // Best group first; within one source, the passage's own order.
  const groupRank = new Map<number, number>();
  for (const c of chosen) groupRank.set(c.source, Math.max(groupRank.get(c.source) ?? 0, c.score));
  chosen.sort((a, b) => (groupRank.get(b.source) as number) - (groupRank.get(a.source) as number) || a.source - b.source || a.position - b.position);
  const sentences = chosen.map(({ text, source, kind, header, score }) => ({ text, source, kind, ...(header !== undefined && { header }), score }));
  return { text: render(sentences), used: [...new Set(sentences.map((s) => s.source))], sentences };
}

/** Adds, while there is room, the sentence just before each chosen one that opens with a word leaning on it. */
function withAntecedents(chosen: Candidate[], candidates: readonly Candidate[], maxSentences: number): void {
  for (const sentence of [...chosen]) {
    if (chosen.length >= maxSentences || sentence.kind === 'row' || !LEANS_ON_PREVIOUS.test(sentence.text)) continue;
    const previous = candidates.find((c) => c.source === sentence.source && c.position === sentence.position - 1 && c.kind === 'sentence');
    if (previous && !chosen.includes(previous)) chosen.push(previous);
  }
}
