import { basename, extname } from 'node:path';

/** File types the app ingests, by extension, with the bytes a file must start with (when fixed). */
export const UPLOAD_TYPES: Record<string, { mediaType: string; magic?: string }> = {
  '.pdf': { mediaType: 'application/pdf', magic: '%PDF-' },
  '.md': { mediaType: 'text/markdown' },
  '.markdown': { mediaType: 'text/markdown' },
  '.html': { mediaType: 'text/html' },
  '.htm': { mediaType: 'text/html' },
  '.txt': { mediaType: 'text/plain' },
};

/** A file name safe to store: its base name, odd characters replaced, at most 120 characters. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).normalize('NFKC');
  const ext = extname(base).toLowerCase();
  const stem =
    base
      .slice(0, base.length - ext.length)
      .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
      .replace(/^[.\s]+/, '')
      .slice(0, 100) || 'document';
  return `${stem}${ext}`;
}
