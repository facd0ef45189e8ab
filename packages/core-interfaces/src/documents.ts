import type { UsageEvent } from './usage.js';

/** Formats the pipeline reads. */
export type DocumentMediaType = 'application/pdf' | 'text/markdown' | 'text/html' | 'text/plain';

/** A document as stored. */
export interface SourceDocument {
  /** Stable id (derived from the source path). */
  id: string;
  /** Where it came from: a file path or URL, never containing credentials. */
  source: string;
  /** File name shown in citations. */
  name: string;
  title?: string;
  mediaType: DocumentMediaType;
  /** SHA-256 of the bytes; decides whether re-ingest has work to do. */
  contentHash: string;
  pageCount: number;
  byteSize: number;
  /** Epoch milliseconds. */
  ingestedAt: number;
}

/**
 * A citable section of a document without pages (HTML, Markdown): the innermost heading (or
 * anchored definition-list term) above a passage.
 */
export interface DocumentSection {
  /** The heading's text, e.g. `20.4.1. Memory` or `work_mem (integer)`. */
  title: string;
  /**
   * The id a link can jump to (`page.html#anchor`): the HTML element's id or a Markdown heading's
   * slug. Absent when the document names none for this heading.
   */
  anchor?: string;
}

/** A passage of a document, the unit of retrieval. */
export interface Chunk {
  id: string;
  docId: string;
  text: string;
  /** First physical page, 1-based (PDF page index + 1; 1 for formats without pages). */
  page: number;
  /** Last physical page the chunk reaches. */
  pageEnd: number;
  /** The page label printed on `page` (e.g. `iv`, `3-12`), or the number as text. */
  pageLabel: string;
  /** Headings above the chunk, outermost first. */
  sectionPath: string[];
  /**
   * The section the chunk lies in, for documents cited by section rather than page (HTML,
   * Markdown). Absent for PDFs and for text before a document's first heading.
   */
  section?: DocumentSection;
  /** Character offsets in the document's extracted text. */
  charStart: number;
  charEnd: number;
}

/** Why a hit was retrieved. */
export type RetrievalReason = 'keyword' | 'dense' | 'both';

/** One retrieved chunk with its evidence. */
export interface RetrievalHit {
  chunk: Chunk;
  /** Fused score; higher is better. Comparable only within one result list. */
  score: number;
  reason: RetrievalReason;
  /** Reranker score in [0, 1], when a reranker ran. */
  rerankScore?: number;
  /** Why the hit ranks where it does; present when the retrieval was asked to explain. */
  explanation?: RetrievalExplanation;
}

/** The breakdown of a hit's rank: keyword signals, keyword and dense ranks. */
export interface RetrievalExplanation {
  /** Each keyword signal's contribution (weight × value) to the keyword score; signals that gave 0 are left out. */
  signals: Record<string, number>;
  /** The keyword score (the sum of the contributions), when keyword search found the chunk. */
  keywordScore?: number;
  /** 1-based rank in the keyword list, when keyword search found the chunk. */
  keywordRank?: number;
  /** 1-based rank in the dense (vector) list, when dense search found the chunk. */
  denseRank?: number;
  /** Cosine similarity to the question, when dense search found the chunk. */
  denseScore?: number;
}

/** A reference from an answer to its evidence. */
export interface Citation {
  /** The `[n]` number used in the answer text. */
  index: number;
  docId: string;
  /** File name of the document. */
  docName: string;
  /** Physical page, 1-based. */
  page: number;
  pageLabel: string;
  chunkId: string;
  /** The cited section, for documents cited by section rather than page (see {@link Chunk.section}). */
  section?: DocumentSection;
}

/** An answer with the evidence it rests on. */
export interface Answer {
  text: string;
  citations: Citation[];
  /** True when the documents do not support an answer and the system said so. */
  refused: boolean;
  /** Why it refused, for people (e.g. `the documents never mention "Zacas"`); present when `refused`. */
  refusalReason?: string;
  /** `generative` from a language model, `extractive` from quoted sentences. */
  mode: 'generative' | 'extractive';
  /** Citation numbers the model used that match no source; removed from `citations`. */
  invalidCitations: number[];
  /**
   * Citations of a generated answer that pointed at a source not holding their sentence: moved to
   * the source that holds it, or removed when none does. Present only when something was corrected.
   */
  correctedCitations?: { moved: Array<{ from: number; to: number }>; removed: number[] };
  /**
   * Present when a generated answer's stream broke after part of it had been shown: the part shown
   * (citations cleaned) and why it stopped. `text` and `citations` are then the extractive answer
   * given in its place (`mode: 'extractive'`), to be shown below the interrupted text.
   */
  interrupted?: { partialText: string; reason: string };
  /** The sources given to the model, numbered from 1. */
  sources: RetrievalHit[];
  /** Every model call made to produce the answer. */
  usage: UsageEvent[];
}
