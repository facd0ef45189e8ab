import type { Chunk, SourceDocument } from '@ragbridge/core-interfaces';

/** A `documents` row as selected by {@link DOCUMENT_COLUMNS}. */
export interface DocumentRow {
  id: string;
  source: string;
  name: string;
  title: string | null;
  media_type: SourceDocument['mediaType'];
  content_hash: string;
  page_count: number;
  /** bigint columns arrive as text. */
  byte_size: string;
  ingested_at: string;
}

export const DOCUMENT_COLUMNS = 'id, source, name, title, media_type, content_hash, page_count, byte_size, ingested_at';

/** A `chunks` row as selected by {@link CHUNK_COLUMNS}. */
export interface ChunkRow {
  id: string;
  doc_id: string;
  text: string;
  page: number;
  page_end: number;
  page_label: string;
  section_path: string[];
  section_title: string | null;
  section_anchor: string | null;
  char_start: number;
  char_end: number;
}

export const CHUNK_COLUMNS = 'id, doc_id, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end';

// Fields in the order the contract's types declare them, so a stored value reads back as written.
export const toDocument = (row: DocumentRow): SourceDocument => ({
  id: row.id,
  source: row.source,
  name: row.name,
  ...(row.title !== null && { title: row.title }),
  mediaType: row.media_type,
  contentHash: row.content_hash,
  pageCount: row.page_count,
  byteSize: Number(row.byte_size),
  ingestedAt: Number(row.ingested_at),
});

export const toChunk = (row: ChunkRow): Chunk => ({
  id: row.id,
  docId: row.doc_id,
  text: row.text,
  page: row.page,
  pageEnd: row.page_end,
  pageLabel: row.page_label,
  sectionPath: row.section_path,
  ...(row.section_title !== null && { section: { title: row.section_title, ...(row.section_anchor !== null && { anchor: row.section_anchor }) } }),
  charStart: row.char_start,
  charEnd: row.char_end,
});
