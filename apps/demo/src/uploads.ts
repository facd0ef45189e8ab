import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { DocumentStore, SourceDocument } from '@ragbridge/core-interfaces';

/** File types the app ingests, by extension, with the bytes a file must start with (when fixed). */
export const UPLOAD_TYPES: Record<string, { mediaType: string; magic?: string }> = {
  '.pdf': { mediaType: 'application/pdf', magic: '%PDF-' },
  '.md': { mediaType: 'text/markdown' },
  '.markdown': { mediaType: 'text/markdown' },
  '.html': { mediaType: 'text/html' },
  '.htm': { mediaType: 'text/html' },
  '.txt': { mediaType: 'text/plain' },
};

/** Most files one upload request may carry. @default 100 */
export const MAX_FILES_PER_UPLOAD = 100;

/**
 * Longest stored file name in UTF-8 bytes. File systems allow 255; the rest leaves room for the
 * temporary names written beside it.
 */
export const MAX_STORED_NAME_BYTES = 150;

const utf8 = new TextEncoder();
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character or a grapheme cluster. */
function capBytes(text: string, maxBytes: number): string {
  let kept = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    bytes += utf8.encode(segment).length;
    if (bytes > maxBytes) break;
    kept += segment;
  }
  return kept;
}

/**
 * A file name safe to store and to show: its base name, odd characters replaced, at most
 * {@link MAX_STORED_NAME_BYTES} bytes of UTF-8 with its (lower-cased) extension kept.
 */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).normalize('NFKC');
  const dot = extname(base);
  const ext = utf8.encode(dot).length <= 16 ? dot.toLowerCase() : '';
  const stem = base
    .slice(0, base.length - dot.length)
    .replace(/[^\p{L}\p{M}\p{N}\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u200D._ -]+/gu, '_')
    .replace(/^[.\s]+/, '');
  return `${capBytes(stem, MAX_STORED_NAME_BYTES - utf8.encode(ext).length).trimEnd() || 'document'}${ext}`;
}

// Direction controls could make a shown name lie about its extension ("evil\u202Etxt.exe").
const UNSAFE_IN_NAMES = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069/\\]/gu;

/** Longest display name of an upload, in characters (grapheme clusters). @default 200 */
export const MAX_DISPLAY_NAME_LENGTH = 200;

// Characters a display name drops: controls, lone surrogates, direction controls (see UNSAFE_IN_NAMES).
const HIDDEN_IN_NAMES = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/**
 * The name an uploaded document is listed and cited under: the user's file name as given (its last
 * path part), in NFC, line breaks and tabs as spaces, other control and direction characters
 * removed. A name longer than {@link MAX_DISPLAY_NAME_LENGTH} characters is cut on whole characters
 * with `…` before its extension. Unlike {@link safeFileName}, nothing else is replaced: the file on
 * disk has the safe name, the document this one.
 */
export function displayName(name: string): string {
  const shown = basename(name.replace(/\\/g, '/'))
    .normalize('NFC')
    .replace(/[\t\n\v\f\r]/g, ' ')
    .replace(HIDDEN_IN_NAMES, '')
    .trim();
  const ext = /\.[^.\s]{1,15}$/u.exec(shown)?.[0] ?? '';
  const stem = shown.slice(0, shown.length - ext.length).trimEnd() || 'document';
  const parts = [...graphemes.segment(stem)].map((s) => s.segment);
  const room = MAX_DISPLAY_NAME_LENGTH - [...graphemes.segment(ext)].length;
  return parts.length <= room
    ? `${stem}${ext}`
    : `${parts
        .slice(0, room - 1)
        .join('')
        .trimEnd()}…${ext}`;
}

/**
 * A `Content-Disposition` value for any file name (RFC 6266): an ASCII `filename` for old clients
 * and the exact name as `filename*` in UTF-8 (RFC 5987). Control characters, direction controls
 * and path separators become `_`.
 */
export function contentDisposition(disposition: 'inline' | 'attachment', name: string): string {
  const clean = name.replace(UNSAFE_IN_NAMES, '_') || 'document';
  const ascii =
    clean
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^\x20-\x7e]|["%\\]/g, '_')
      .slice(0, 150)
      .trim() || 'document';
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Streams an upload's request body to a temporary file in the upload folder, so a body is on disk,
 * not in memory, until it is parsed ({@link readSpooledForm}). Its name ends in `.part`: start-up
 * cleanup removes it after a crash. A body that fails to arrive leaves no file.
 */
export async function spoolUploadBody(uploadDir: string, body: ReadableStream<Uint8Array>): Promise<string> {
  const root = resolve(uploadDir);
  await mkdir(root, { recursive: true });
  const path = join(root, `.${randomUUID()}.body.part`);
  try {
    await writeFile(path, body, { flag: 'wx' });
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return path;
}

/** The multipart form of a spooled body. It is parsed in memory: parse one body at a time. */
export async function readSpooledForm(path: string, contentType: string): Promise<FormData> {
  const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  return new Response(body, { headers: { 'content-type': contentType } }).formData();
}

/**
 * An uploaded file on its way into the store: written under a temporary name beside its target,
 * then moved into place when its turn to be ingested comes. A new upload gets a folder of its own (a
 * short random id), so its stored path is short and unique whatever the user named it; the file has
 * the user's safe name, the document the user's own name ({@link displayName}). A replacement writes
 * over the file of the uploaded document it replaces, keeping the earlier file aside until the
 * store says which version it holds.
 */
export interface StagedUpload {
  /** Where the file ends up: the source path the store keys the document by. */
  target: string;
  /** The uploaded document this file replaces (same source path, same id). */
  replaces?: SourceDocument;
  /** The folder created for a new upload (removed with the file when the ingest fails). */
  folder?: string;
  temp: string;
  /** The replaced document's file, kept until the ingest settles. */
  previous?: string;
}

/**
 * Writes an uploaded file next to where it will go (a reader never sees half a file). A `Blob` (an
 * uploaded `File`) is streamed to disk, not copied into memory once more.
 */
export async function stageUpload(
  uploadDir: string,
  name: string,
  bytes: Uint8Array | Blob,
  replaces?: SourceDocument
): Promise<StagedUpload> {
  let staged: StagedUpload;
  if (replaces) {
    staged = { target: replaces.source, replaces, temp: join(dirname(replaces.source), `.${randomUUID()}.part`) };
    await mkdir(dirname(replaces.source), { recursive: true });
  } else {
    const folder = join(resolve(uploadDir), randomBytes(6).toString('hex'));
    await mkdir(folder, { recursive: true });
    staged = { target: join(folder, safeFileName(name)), folder, temp: join(folder, `.${randomUUID()}.part`) };
  }
  try {
    const handle = await open(staged.temp, 'wx');
    try {
      await writeFile(handle, bytes instanceof Blob ? bytes.stream() : bytes);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await discardUpload(staged);
    throw error;
  }
  return staged;
}

/**
 * Moves a staged file into place; a replaced file is kept aside (named by its content hash) until
 * {@link settleUpload}. `current` is the document the store holds at the target now (undefined for a
 * new upload): an upload waits
 * in line, and meanwhile the document it replaces may have got a newer version (that one is kept
 * aside) or been deleted (the upload becomes a new document at the same place).
 */
export async function commitUpload(staged: StagedUpload, current: SourceDocument | undefined): Promise<void> {
  if (staged.replaces) {
    if (current) staged.replaces = current;
    else delete staged.replaces;
  }
  if (staged.replaces && existsSync(staged.target)) {
    staged.previous = join(dirname(staged.target), previousName(staged.replaces.contentHash));
    await rename(staged.target, staged.previous);
  }
  await rename(staged.temp, staged.target);
}

/** Removes what an upload that never reached the store left behind (its temporary file, its new folder; a replaced file goes back). */
export async function discardUpload(staged: StagedUpload): Promise<void> {
  await rm(staged.temp, { force: true });
  if (staged.previous) await rename(staged.previous, staged.target);
  else if (staged.folder) await rm(staged.folder, { recursive: true, force: true });
}

/**
 * After the ingest (done or failed), keeps what the store holds and nothing else: a new file the
 * store has no document for is removed with its folder; a replaced file goes back when the store
 * still holds the earlier version (the new one failed), else it is deleted.
 */
export async function settleUpload(
  staged: StagedUpload,
  stored: SourceDocument | undefined
): Promise<'kept' | 'removed' | 'restored'> {
  await rm(staged.temp, { force: true });
  if (!staged.replaces) {
    if (stored) return 'kept';
    if (staged.folder) await rm(staged.folder, { recursive: true, force: true });
    else await rm(staged.target, { force: true });
    return 'removed';
  }
  if (!stored) {
    // Deleted while it was being replaced: no document points at either file.
    await rm(staged.target, { force: true });
    if (staged.previous) await rm(staged.previous, { force: true });
    return 'removed';
  }
  if (!staged.previous) return 'kept';
  if (stored.contentHash !== staged.replaces.contentHash) {
    await rm(staged.previous, { force: true });
    return 'kept';
  }
  await rename(staged.previous, staged.target);
  return 'restored';
}

function previousName(contentHash: string): string {
  return `.${hashPart(contentHash)}.previous`;
}

function hashPart(contentHash: string): string {
  return contentHash.replace(/[^0-9a-zA-Z]/g, '').slice(0, 64) || 'unknown';
}

/** What {@link cleanUploadFolder} did, as paths relative to the upload folder. */
export interface UploadCleanup {
  removed: string[];
  restored: string[];
  /** Files no document references, kept because a stored document with their name has lost its file (the data folder may have moved). */
  kept: string[];
}

/**
 * Start-up cleanup of the upload folder (and the folders one level below it): temporary `.part`
 * files, files of uploaded types that no stored document references, and empty upload folders are
 * removed; a file kept aside by a replacement that did not finish goes back when the store still
 * holds the version it belongs to. Files of other types, symbolic links and deeper folders are left
 * alone, and so is a file whose name matches a stored document whose file is missing.
 */
export async function cleanUploadFolder(
  uploadDir: string,
  store: Pick<DocumentStore, 'listDocuments'>
): Promise<UploadCleanup> {
  const result: UploadCleanup = { removed: [], restored: [], kept: [] };
  const root = resolve(uploadDir);
  if (!existsSync(root)) return result;
  const docs = await store.listDocuments();
  const referenced = new Set(docs.map((d) => resolve(d.source)));
  const lostNames = new Set(docs.filter((d) => !existsSync(d.source)).map((d) => basename(d.source)));
  const relative = (path: string): string => path.slice(root.length + 1);

  const sweep = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    // Kept-aside files first: restoring one puts a referenced file back before orphans are judged.
    for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith('.previous'))) {
      const path = join(folder, entry.name);
      const owner = docs.find(
        (d) => dirname(resolve(d.source)) === folder && entry.name === previousName(d.contentHash)
      );
      if (owner) {
        await rename(path, resolve(owner.source));
        result.restored.push(relative(path));
      } else {
        await rm(path, { force: true });
        result.removed.push(relative(path));
      }
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && depth === 0) {
        await sweep(path, 1);
        if ((await readdir(path)).length === 0) {
          await rmdir(path);
          result.removed.push(`${relative(path)}/`);
        }
      } else if (entry.isFile() && !entry.name.endsWith('.previous')) {
        if (referenced.has(path)) continue;
        const temporary = entry.name.endsWith('.part');
        if (!temporary && !UPLOAD_TYPES[extname(entry.name).toLowerCase()]) continue;
        if (!temporary && lostNames.has(entry.name)) {
          result.kept.push(relative(path));
          continue;
        }
        await rm(path, { force: true });
        result.removed.push(relative(path));
      }
    }
  };
  await sweep(root, 0);
  return result;
}
