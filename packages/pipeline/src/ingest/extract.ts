import type { DocumentMediaType } from '@ragbridge/core-interfaces';
import type { ExtractedDocument } from './extracted.js';
import { IngestError } from './ingest-errors.js';
import { extractPdf } from './pdf-extract.js';
import { extractHtml, extractMarkdown, extractPlainText } from './text-extract.js';

const EXTENSIONS: Record<string, DocumentMediaType> = {
  '.pdf': 'application/pdf',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.mdx': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.rst': 'text/plain',
};

/** The media type for a file name, or undefined when the format is not supported. */
export function mediaTypeForName(name: string): DocumentMediaType | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : EXTENSIONS[name.slice(dot).toLowerCase()];
}

/** File name extensions the pipeline reads. */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS);

function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\u0000')) throw new IngestError('corrupt', 'the file contains NUL bytes: it is binary, not text');
  return text.replace(/^\uFEFF/, '');
}

/**
 * Extracts text and structure from one file's bytes. Checks the content against the claimed
 * type first (a `.pdf` must start with `%PDF-`), and reports empty and image-only files as errors.
 */
export async function extractDocument(
  bytes: Uint8Array,
  mediaType: DocumentMediaType,
  options: { onPage?: (page: number, pageCount: number) => void } = {},
): Promise<ExtractedDocument> {
  if (bytes.length === 0) throw new IngestError('empty', 'the file is empty (0 bytes)');
  let doc: ExtractedDocument;
  if (mediaType === 'application/pdf') {
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
    if (!head.includes('%PDF-')) {
      throw new IngestError('corrupt', 'the file has a .pdf name but is not a PDF (no %PDF- header)');
    }
    doc = await extractPdf(bytes, options.onPage ? { onPage: options.onPage } : {});
  } else if (mediaType === 'text/markdown') doc = extractMarkdown(decodeText(bytes));
  else if (mediaType === 'text/html') doc = extractHtml(decodeText(bytes));
  else doc = extractPlainText(decodeText(bytes));
  const hasText = doc.pages.some((p) => p.blocks.some((b) => b.text.trim().length > 0));
  if (!hasText) {
    if (mediaType === 'application/pdf' && doc.pageErrors.length === doc.pageCount && doc.pageCount > 0) {
      throw new IngestError('unreadable', `none of the ${doc.pageCount} pages could be read: ${doc.pageErrors[0]?.message ?? ''}`);
    }
    throw new IngestError(
      mediaType === 'application/pdf' ? 'no-text' : 'empty',
      mediaType === 'application/pdf'
        ? `no extractable text in ${doc.pageCount} page(s): it looks scanned or image-only; run OCR first (e.g. \`ocrmypdf in.pdf out.pdf\`)`
        : 'the file has no text',
    );
  }
  return doc;
}
