import type { IndexedChunk, SourceDocument } from '@ragbridge/core-interfaces';
import { analyze, chunkIndexTerms } from '../retrieval/text-analysis.js';
import { chunkDocument, type ChunkerOptions } from './chunker.js';
import type { ExtractedDocument, PageError } from './extracted.js';

/** What preparing a document needs besides its text: its id and name, and how to chunk it. */
export interface PrepareRequest {
  docId: string;
  /** The file name (its words are part of the document's terms). */
  name: string;
  chunker?: ChunkerOptions;
  /**
   * Write the prepared document into this SQLite store from the worker, on the worker's own
   * connection (one transaction, as `putDocument`): the calling thread then neither receives the
   * chunks nor writes them. Only for a store file (not `:memory:`) the caller opened itself.
   */
  write?: { storePath: string; document: Omit<SourceDocument, 'title' | 'pageCount'> };
}

/**
 * A document ready for the store: its chunks with their index terms and its document terms, and
 * what the ingest report needs of the extraction. Made where the document was extracted (a worker
 * thread), so the calling thread only writes it.
 */
export interface PreparedDocument {
  title?: string;
  pageCount: number;
  pageErrors: PageError[];
  /** Characters of extracted text. */
  chars: number;
  chunks: IndexedChunk[];
  documentTerms: string;
  /** Milliseconds spent chunking and analyzing terms. */
  ms: { chunk: number; analyze: number };
  /** Set when the worker wrote the document itself (`chunks` is then empty). */
  written?: { chunks: number; ms: number };
}

/** Index terms of the whole document: its title, its file name, its headings and the start of its first page. */
function documentTerms(name: string, doc: ExtractedDocument): string {
  const headings = doc.pages.flatMap((p) => p.blocks.filter((b) => b.kind === 'heading').map((b) => b.text));
  const firstPage =
    doc.pages[0]?.blocks
      .map((b) => b.text)
      .join(' ')
      .split(/\s+/)
      .slice(0, 300)
      .join(' ') ?? '';
  const readableName = name.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ');
  return analyze([doc.title ?? '', readableName, headings.join(' '), firstPage].join('\n')).join(' ');
}

/** Chunks an extracted document and analyzes every chunk's terms. */
export function prepareDocument(extracted: ExtractedDocument, request: PrepareRequest): PreparedDocument {
  let started = performance.now();
  const { chunks } = chunkDocument(request.docId, extracted, request.chunker);
  const chunkMs = performance.now() - started;
  started = performance.now();
  const indexed: IndexedChunk[] = chunks.map((chunk) => ({ ...chunk, ...chunkIndexTerms(chunk) }));
  const terms = documentTerms(request.name, extracted);
  return {
    ...(extracted.title !== undefined && { title: extracted.title }),
    pageCount: extracted.pageCount,
    pageErrors: extracted.pageErrors,
    chars: extracted.pages.reduce((n, p) => n + p.blocks.reduce((m, b) => m + b.text.length, 0), 0),
    chunks: indexed,
    documentTerms: terms,
    ms: { chunk: chunkMs, analyze: performance.now() - started },
  };
}
