import type { RetrievalHit } from '@ragbridge/core-interfaces';
import { analyze, analyzeQuery, analyzeQueryGroups } from '../retrieval/text-analysis.js';
import { looksLikeCode, looksLikeReferenceEntry, splitAnswerSentences } from './answer-sentences.js';

/**
 * Defaults of {@link ExtractiveAnswerOptions}, in one place. The thresholds are general reading
 * rules, not fitted per question; `relativeThreshold` and `sourceDecay` are the ones worth
 * cross-validating on an evaluation set.
 */
export const EXTRACTIVE_ANSWER_DEFAULTS = {
  maxSentences: 3,
  relativeThreshold: 0.75,
  complementThreshold: 0.5,
  otherSourceThreshold: 0.9,
  sourceDecay: 0.3,
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
  /**
   * A further sentence from a passage already quoted that adds a fifth of the question's weight the
   * quoted ones lack (the other part of a two-part question) needs only this share of the best score. @default 0.5
   */
  complementThreshold?: number;
  /**
   * A sentence from a source not yet cited is quoted only when it scores at least this share of the
   * best one and holds question terms the quoted sentences lack. @default 0.9
   */
  otherSourceThreshold?: number;
  /**
   * Share of the score lost per rank of the source (source r scores × (1 − decay)^(r−1)), so a later
   * source wins only with a clearly better sentence: with 0.3, source 3 needs about twice the
   * question coverage of source 1. @default 0.3
   */
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
  /** The passage holds only part of its sentence (it began before or goes on after); quoted with an ellipsis. */
  fragment?: boolean;
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
  listItem: boolean;
}

/** Words that make a sentence lean on the one before it ("This means…"), so that one is quoted first. */
const LEANS_ON_PREVIOUS =
  /^(?:this|these|those|it|its|they|their|such|thus|hence|therefore|however|otherwise|instead|consequently|in this case|as a result|for example|for instance)\b/i;

/** Share of the characters that are letters (any non-ASCII character counts as one: a cheap test, no Unicode tables). */
function letterShare(text: string): number {
  let letters = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) | 0x20;
    if ((code >= 0x61 && code <= 0x7a) || code > 0x7f) letters++;
  }
  return letters / Math.max(1, text.length);
}

/** The quotable pieces of the hits, each kept once (overlapping chunks repeat sentences) with the best-ranked source that holds it. */
function candidatesOf(question: string, hits: readonly RetrievalHit[], minWords: number): Candidate[] {
  const cues = ANSWER_CUES.filter((cue) => cue.question.test(question));
  const context = [question, ...hits.map((hit) => hit.chunk.text)].join('\n');
  // A stem keeps the beginning of its word (only its last letter may change, as in copy → copi), so a
  // sentence holding none of the question terms' beginnings cannot match: kept as context, not analyzed.
  const openings = [
    ...new Set(analyzeQuery(question).map((t) => (t.length <= 3 ? t : t.slice(0, Math.min(4, t.length - 1))))),
  ];
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  hits.forEach((hit, i) => {
    for (const piece of splitAnswerSentences(hit.chunk.text, { context })) {
      if (piece.kind === 'label' || looksLikeCode(piece.text) || looksLikeReferenceEntry(piece.text)) continue;
      if (piece.kind !== 'row' && (piece.text.split(' ').length < minWords || letterShare(piece.text) < 0.5)) continue;
      // Overlapping chunks repeat sentences word for word; the better-ranked hit keeps it.
      if (seen.has(piece.text)) continue;
      seen.add(piece.text);
      const lower = piece.text.toLowerCase();
      const terms =
        piece.kind === 'row' || openings.some((o) => lower.includes(o))
          ? new Set(analyze(piece.text))
          : new Set<string>();
      if (terms.size > 0) for (const cue of cues) if (cue.answer.test(piece.text)) terms.add(cue.term);
      candidates.push({
        text: piece.text,
        source: i + 1,
        kind: piece.kind === 'row' ? 'row' : 'sentence',
        ...(piece.header !== undefined && { header: piece.header }),
        score: 0,
        terms,
        position: piece.position,
        fragment: piece.kind === 'fragment',
        listItem: piece.listItem === true,
      });
    }
  });
  return candidates;
}

/** Default term weight: how rare the term is among the candidate sentences (a smoothed local IDF). */
function localWeights(candidates: readonly Candidate[]): (term: string) => number {
  const frequency = new Map<string, number>();
  for (const candidate of candidates)
    for (const term of candidate.terms) frequency.set(term, (frequency.get(term) ?? 0) + 1);
  const n = candidates.length;
  return (term) => Math.log(1 + (n + 1) / ((frequency.get(term) ?? 0) + 0.5));
}

/** A question word's alternative index terms (a compound and its parts) with their weights; it counts once. */
interface TermGroup {
  members: Array<{ term: string; weight: number }>;
  /** The weight of the group: its heaviest member that some candidate holds (any member, when none does). */
  weight: number;
}

/**
 * What kinds of question want what kind of sentence, by English question words alone: a quantity
 * wants a number, a reason wants a causal clause. Such a question gets one more term group, met by
 * a sentence of that kind, weighing as much as an average question term.
 */
const ANSWER_CUES = [
  {
    term: '#quantity',
    question:
      /\bhow (?:many|much|long|large|big|wide|far|often|fast)\b|\bwhat (?:percentage|fraction|share|proportion|size|width|number)\b/i,
    answer:
      /(?<![\p{L}\d.])\d+(?:[.,]\d+)*(?:\s?%)?(?![\p{L}\d])|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|sixteen|twenty|thirty|hundred|thousand|half|quarter|twice|double)\b/iu,
  },
  {
    term: '#reason',
    question: /^\s*why\b|\bwhy (?:is|are|was|were|do|does|did|can|can't|cannot|should|would|must)\b/i,
    answer:
      /\b(?:because|since|so that|in order to|due to|as it|as they|reason|therefore|thus|hence|to (?:avoid|allow|simplify|reduce|support|enable|ensure))\b/i,
  },
] as const;

/** The question's term groups, weighted; members no candidate holds do not set a group's weight. */
function termGroups(question: string, candidates: readonly Candidate[], weight: (term: string) => number): TermGroup[] {
  const groups = analyzeQueryGroups(question).map((terms) => {
    const members = terms.map((term) => ({ term, weight: Math.max(0, weight(term)) }));
    const held = members.filter((m) => candidates.some((c) => c.terms.has(m.term)));
    return { members, weight: Math.max(0, ...(held.length > 0 ? held : members).map((m) => m.weight)) };
  });
  const average = groups.reduce((sum, g) => sum + g.weight, 0) / Math.max(1, groups.length);
  for (const cue of ANSWER_CUES) {
    if (cue.question.test(question)) groups.push({ members: [{ term: cue.term, weight: average }], weight: average });
  }
  return groups;
}

/** The weight of the heaviest member of the group in the terms (a part of a compound earns the part's weight). */
function matchedWeight(group: TermGroup, terms: ReadonlySet<string>): number {
  let best = 0;
  for (const member of group.members) if (member.weight > best && terms.has(member.term)) best = member.weight;
  return Math.min(best, group.weight);
}

/**
 * Relevance of one candidate: the weighted share of the question's term groups it contains, where a
 * term it lacks but its context has (a row's header, the section heading above the passage) counts
 * half; a candidate that holds no question term itself scores 0. Less for very long sentences and
 * for fragments.
 */
function relevance(
  candidate: Candidate,
  groups: readonly TermGroup[],
  total: number,
  context: ReadonlySet<string>
): number {
  let own = 0;
  let matched = 0;
  for (const group of groups) {
    const weight = matchedWeight(group, candidate.terms);
    own += weight;
    matched += Math.max(weight, matchedWeight(group, context) / 2);
  }
  if (own === 0) return 0;
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

/** A sentence as quoted: an ellipsis marks where a fragment's sentence was cut off. */
function quoted(sentence: ExtractiveAnswerSentence): string {
  if (!sentence.fragment) return sentence.text;
  const start = /^\p{Ll}/u.test(sentence.text) ? '… ' : '';
  const end = /[.!?:;)"”’]$/u.test(sentence.text) ? '' : ' …';
  return `${start}${sentence.text}${end}`;
}

/** Renders the chosen pieces: prose sentences in a paragraph, table rows on lines of their own under their header. */
function render(sentences: readonly ExtractiveAnswerSentence[]): string {
  let text = '';
  let previous: ExtractiveAnswerSentence | undefined;
  for (const sentence of sentences) {
    const cited = `${quoted(sentence)} [${sentence.source}]`;
    if (sentence.kind === 'row') {
      const sameTable = previous?.kind === 'row' && previous.header === sentence.header;
      const header = sentence.header !== undefined && !sameTable ? `${sentence.header}\n` : '';
      text += `${previous ? '\n' : ''}${header}${cited}`;
    } else text += `${previous ? (previous.kind === 'row' ? '\n' : ' ') : ''}${cited}`;
    previous = sentence;
  }
  return text;
}

/**
 * The extractive answer: the sentences (or table rows) of the hits that best answer the question,
 * each cited to the hit whose text holds it. Sentences are scored by the weighted share of the
 * question's terms they contain (analyzed like the index, so stems and technical tokens match),
 * slightly preferring better-ranked sources; a further sentence is quoted only when it is nearly
 * as relevant as the best one, so one good sentence is a complete answer. A chosen sentence that
 * leans on the one before it ("This…") brings that one along when there is room, and one that
 * introduces a list (":") brings the items after it.
 */
export function extractiveAnswer(
  question: string,
  hits: readonly RetrievalHit[],
  options: ExtractiveAnswerOptions = {}
): ExtractiveAnswer {
  const maxSentences = options.maxSentences ?? EXTRACTIVE_ANSWER_DEFAULTS.maxSentences;
  const relativeThreshold = options.relativeThreshold ?? EXTRACTIVE_ANSWER_DEFAULTS.relativeThreshold;
  const sourceDecay = options.sourceDecay ?? EXTRACTIVE_ANSWER_DEFAULTS.sourceDecay;
  const minWords = options.minWords ?? EXTRACTIVE_ANSWER_DEFAULTS.minWords;
  const otherSourceThreshold = options.otherSourceThreshold ?? EXTRACTIVE_ANSWER_DEFAULTS.otherSourceThreshold;
  const complementThreshold = options.complementThreshold ?? EXTRACTIVE_ANSWER_DEFAULTS.complementThreshold;
  if (!Number.isInteger(maxSentences) || maxSentences < 1)
    throw new RangeError(`extractiveAnswer: maxSentences must be a positive integer, got ${maxSentences}`);

  const candidates = candidatesOf(question, hits, minWords);
  const weight = options.termWeight ?? localWeights(candidates);
  const groups = termGroups(question, candidates, weight);
  const total = groups.reduce((sum, g) => sum + g.weight, 0);
  if (total <= 0) return { text: '', used: [], sentences: [] };
  const contexts = new Map<string, Set<string>>();
  for (const candidate of candidates) {
    // The headings above the passage name what it is about (and often which document it is from).
    const key = `${candidate.header ?? ''}\n${(hits[candidate.source - 1] as RetrievalHit).chunk.sectionPath.join(
      '\n'
    )}`;
    if (!contexts.has(key)) contexts.set(key, new Set(analyze(key)));
    const prior = (1 - sourceDecay) ** (candidate.source - 1);
    candidate.score = relevance(candidate, groups, total, contexts.get(key) as Set<string>) * prior;
  }
  const ranked = candidates
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.source - b.source || a.position - b.position);
  if (ranked.length === 0) return { text: '', used: [], sentences: [] };

  const chosen = choose(ranked, groups, total, {
    maxSentences,
    relativeThreshold,
    complementThreshold,
    otherSourceThreshold,
  });
  withContext(chosen, candidates, maxSentences);

  // Best group first; within one source, the passage's own order.
  const groupRank = new Map<number, number>();
  for (const c of chosen) groupRank.set(c.source, Math.max(groupRank.get(c.source) ?? 0, c.score));
  chosen.sort(
    (a, b) =>
      (groupRank.get(b.source) as number) - (groupRank.get(a.source) as number) ||
      a.source - b.source ||
      a.position - b.position
  );
  const sentences = chosen.map(
    ({ text, source, kind, header, fragment, score }): ExtractiveAnswerSentence => ({
      text,
      source,
      kind,
      ...(header !== undefined && { header }),
      ...(fragment && { fragment }),
      score,
    })
  );
  return { text: render(sentences), used: [...new Set(sentences.map((s) => s.source))], sentences };
}

/**
 * The sentences to quote, from the ranked candidates: the best one; then, from a passage already
 * quoted, one nearly as relevant (`relativeThreshold`) or one that says what the quoted ones do not
 * (a fifth of the question's weight more) and is relevant enough (`complementThreshold`); from
 * another passage, only one that is as strong (`otherSourceThreshold`) and adds question terms.
 */
function choose(
  ranked: readonly Candidate[],
  groups: readonly TermGroup[],
  total: number,
  settings: ChooseSettings
): Candidate[] {
  const best = ranked[0] as Candidate;
  const chosen: Candidate[] = [best];
  const covered = groups.map((g) => matchedWeight(g, best.terms));
  const floor =
    Math.min(settings.relativeThreshold, settings.complementThreshold, settings.otherSourceThreshold) * best.score;
  for (const candidate of ranked.slice(1)) {
    if (chosen.length >= settings.maxSentences || candidate.score < floor) break;
    if (chosen.some((c) => isNearDuplicate(c, candidate))) continue;
    const gains = groups.map((g, i) => Math.max(0, matchedWeight(g, candidate.terms) - (covered[i] as number)));
    const gain = gains.reduce((sum, x) => sum + x, 0) / total;
    const share = candidate.score / best.score;
    const accepted = chosen.some((c) => c.source === candidate.source)
      ? share >= settings.relativeThreshold || (gain >= COMPLEMENT_GAIN && share >= settings.complementThreshold)
      : gain > 0 && share >= settings.otherSourceThreshold;
    if (!accepted) continue;
    chosen.push(candidate);
    gains.forEach((x, i) => (covered[i] = (covered[i] as number) + x));
  }
  return chosen;
}

interface ChooseSettings {
  maxSentences: number;
  relativeThreshold: number;
  complementThreshold: number;
  otherSourceThreshold: number;
}

/** The share of the question's weight a complementing sentence must add (a part of a two- or three-part question). */
const COMPLEMENT_GAIN = 0.2;

/**
 * Adds, while there is room, the context a chosen sentence needs: the sentence just before one that
 * opens with a word leaning on it ("This…"), and the list items after one that introduces them (":").
 */
function withContext(chosen: Candidate[], candidates: readonly Candidate[], maxSentences: number): void {
  const at = (source: number, position: number): Candidate | undefined =>
    candidates.find((c) => c.source === source && c.position === position && c.kind === 'sentence');
  for (const sentence of [...chosen]) {
    if (sentence.kind === 'row') continue;
    if (LEANS_ON_PREVIOUS.test(sentence.text)) {
      const previous = at(sentence.source, sentence.position - 1);
      if (previous && !chosen.includes(previous) && chosen.length < maxSentences) chosen.push(previous);
    }
    if (sentence.text.endsWith(':')) {
      for (
        let next = at(sentence.source, sentence.position + 1);
        next?.listItem && chosen.length < maxSentences;
        next = at(next.source, next.position + 1)
      ) {
        if (!chosen.includes(next)) chosen.push(next);
      }
    }
  }
}
