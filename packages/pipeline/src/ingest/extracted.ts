import type { DocumentMediaType } from '@ragbridge/core-interfaces';

/** A structural piece of a page: a heading, a paragraph, a table or code kept whole. */
export interface ExtractedBlock {
  kind: 'heading' | 'paragraph' | 'table' | 'code';
  text: string;
  /** Heading depth, 1 = top level. */
  level?: number;
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
