import type { DocumentMediaType } from '@ragbridge/core-interfaces';

/** A structural piece of a page: a heading, a paragraph, a table or code kept whole. */
export interface ExtractedBlock {
  kind: 'heading' | 'paragraph' | 'table' | 'code';
  text: string;
  /**
   * Heading depth, 1 = top level. On another block: the depth of the section it belongs to, set
   * where a deeper section ended before it (after a list of anchored terms; 0 = no section).
   */
  level?: number;
  /** On a heading: the id a link can jump to (an HTML id, a Markdown slug). */
  anchor?: string;
}

/** One physical page (formats without pages have one). */
export interface ExtractedPage {
  /** Physical page number, 1-based. */
  page: number;
  /** The printed page label (e.g. `iv`), or the number as text. */
  label: string;
  blocks: ExtractedBlock[];
}

/** A page that could not be read, with the reason. */
export interface PageError {
  page: number;
  message: string;
}

/** What an extractor returns for one file. */
export interface ExtractedDocument {
  mediaType: DocumentMediaType;
  title?: string;
  pageCount: number;
  pages: ExtractedPage[];
  pageErrors: PageError[];
}
