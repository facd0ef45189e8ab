import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { PostingList, PostingSource } from './keyword-postings.js';
import type { KeywordIndexParts } from './store-keyword-index.js';

/**
 * The keyword index as a file beside the store, so a process opens it instead of reading every
 * chunk's terms. A process reads the header, the slots and the term dictionaries at once, and a
 * term's postings only when a question asks for it (one read, no decoding). It keeps the file open:
 * a newer snapshot replaces the file by renaming, so the one it opened stays whole for it.
 *
 * Little endian, 4-byte aligned:
 *
 *   header     (64 bytes) magic "RBKI", format, covered change sequence (f64), store id (16
 *              bytes), head length, chunk slots n, document slots m, chunk terms T, document terms
 *              U, document id bytes, chunk and document term bytes
 *   slots      chunk row keys, body lengths, document slots (Int32 × n each); document lengths
 *              (Int32 × m); document id offsets (Uint32 × m+1) and UTF-8 bytes
 *   terms      for chunks, then documents: term offsets (Uint32 × T+1), posting offsets into the
 *              postings area (Uint32 × T+1), the terms' UTF-8 bytes, sorted by byte order
 *   postings   per term: slots (Int32 × k), then frequencies (Float32 × k)
 */
const MAGIC = 0x494b4252;
const FORMAT = 2;
const HEADER_BYTES = 64;

/** The store identity and change sequence a snapshot was written for. */
export interface SnapshotTag {
  seq: number;
  /** 32 hex digits: the `store_id` of the store it belongs to. */
  storeId: string;
}

/** What a snapshot holds (the output of `StoreKeywordIndex.parts()`). */
export interface SnapshotParts {
  chunkPks: Int32Array;
  chunkLengths: Int32Array;
  chunkDocuments: Int32Array;
  documentIds: string[];
  documentLengths: Int32Array;
  chunkPostings: ReadonlyMap<string, PostingList>;
  documentPostings: ReadonlyMap<string, PostingList>;
}

/** An open snapshot: its tag, the index parts (postings read on demand), and the file to close. */
export interface OpenSnapshot extends SnapshotTag {
  parts: KeywordIndexParts;
  close(): void;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Bytes of an Int32Array, Uint32Array or Float32Array. */
const bytesOf = (values: Int32Array | Uint32Array | Float32Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** The sorted terms of one kind of slot with their offsets, and the size of their postings. */
function dictionary(lists: ReadonlyMap<string, PostingList>): { terms: Array<{ term: string; bytes: Buffer }>; termOffsets: Uint32Array; postingOffsets: Uint32Array; termBytes: number } {
  const terms = [...lists.keys()].map((term) => ({ term, bytes: Buffer.from(term, 'utf8') })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const termOffsets = new Uint32Array(terms.length + 1);
  const postingOffsets = new Uint32Array(terms.length + 1);
  terms.forEach(({ term, bytes }, i) => {
    termOffsets[i + 1] = (termOffsets[i] as number) + bytes.length;
    const total = (postingOffsets[i] as number) + (lists.get(term) as PostingList).length * 8;
    if (total > 0xffffffff) throw new RangeError('the keyword index is too large for a snapshot (over 4 GB of postings)');
    postingOffsets[i + 1] = total;
  });
  return { terms, termOffsets, postingOffsets, termBytes: termOffsets[terms.length] as number };
}

/** Writes bytes at the end of a file, in batches. */
class FileWriter {
  private batch: Buffer[] = [];
  private batched = 0;
  /** Bytes written so far, batched or not. */
  private position = 0;
  constructor(private readonly fd: number) {}
  write(bytes: Uint8Array): void {
    this.batch.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.batched += bytes.byteLength;
    this.position += bytes.byteLength;
    if (this.batched >= 1 << 20) this.flush();
  }
  /** Zeros up to the next 4-byte boundary of the file. */
  pad(): void {
    const extra = pad4(this.position) - this.position;
    if (extra > 0) this.write(new Uint8Array(extra));
  }
  flush(): void {
    const all = Buffer.concat(this.batch);
    let done = 0;
    while (done < all.length) done += writeSync(this.fd, all, done);
    this.batch = [];
    this.batched = 0;
  }
}

/** Writes the index (without removed slots) to `path`, atomically (a new file renamed over the old one). */
export function writeKeywordSnapshot(path: string, parts: SnapshotParts, tag: SnapshotTag): void {
  const chunks = dictionary(parts.chunkPostings);
  const documents = dictionary(parts.documentPostings);
  const ids = parts.documentIds.map((id) => Buffer.from(id, 'utf8'));
  const idOffsets = new Uint32Array(ids.length + 1);
  ids.forEach((id, i) => (idOffsets[i + 1] = (idOffsets[i] as number) + id.length));
  const n = parts.chunkPks.length;
  const m = parts.documentIds.length;
  const headBytes =
    HEADER_BYTES +
    4 * (3 * n + m + m + 1) +
    pad4(idOffsets[m] as number) +
    4 * 2 * (chunks.terms.length + 1) +
    pad4(chunks.termBytes) +
    4 * 2 * (documents.terms.length + 1) +
    pad4(documents.termBytes);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(FORMAT, 4);
  header.writeDoubleLE(tag.seq, 8);
  Buffer.from(tag.storeId, 'hex').copy(header, 16, 0, 16);
  [headBytes, n, m, chunks.terms.length, documents.terms.length, idOffsets[m] as number, chunks.termBytes, documents.termBytes].forEach((value, i) => header.writeUInt32LE(value, 32 + i * 4));

  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    const out = new FileWriter(fd);
    out.write(header);
    for (const values of [parts.chunkPks, parts.chunkLengths, parts.chunkDocuments, parts.documentLengths, idOffsets]) out.write(bytesOf(values));
    for (const id of ids) out.write(id);
    out.pad();
    for (const section of [chunks, documents]) {
      out.write(bytesOf(section.termOffsets));
      out.write(bytesOf(section.postingOffsets));
      for (const { bytes } of section.terms) out.write(bytes);
      out.pad();
    }
    for (const [section, lists] of [
      [chunks, parts.chunkPostings],
      [documents, parts.documentPostings],
    ] as const) {
      for (const { term } of section.terms) {
        const list = lists.get(term) as PostingList;
        out.write(bytesOf(list.slots.subarray(0, list.length)));
        out.write(bytesOf(list.freqs.subarray(0, list.length)));
      }
    }
    out.flush();
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Reads `length` bytes at `position` into a buffer of its own (aligned for typed-array views). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.from(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) throw new Error('the keyword snapshot ends early');
    done += read;
  }
  return buffer;
}

/** The term dictionary of one kind of slot, its postings read from the file on demand. */
class FilePostings implements PostingSource {
  constructor(
    private readonly fd: () => number,
    private readonly termOffsets: Uint32Array,
    private readonly postingOffsets: Uint32Array,
    private readonly termBytes: Buffer,
    /** Where this kind's postings start in the file. */
    private readonly base: number,
  ) {}

  private find(term: string): number {
    const key = Buffer.from(term, 'utf8');
    let lo = 0;
    let hi = this.termOffsets.length - 2;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const order = key.compare(this.termBytes, this.termOffsets[mid] as number, this.termOffsets[mid + 1] as number);
      if (order === 0) return mid;
      if (order > 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  read(term: string): { slots: Int32Array; freqs: Float32Array } | undefined {
    const i = this.find(term);
    if (i < 0) return undefined;
    const start = this.postingOffsets[i] as number;
    const count = ((this.postingOffsets[i + 1] as number) - start) / 8;
    const bytes = readAt(this.fd(), this.base + start, count * 8);
    return { slots: new Int32Array(bytes.buffer, 0, count), freqs: new Float32Array(bytes.buffer, count * 4, count) };
  }

  *terms(): Iterable<string> {
    for (let i = 0; i + 1 < this.termOffsets.length; i++) yield this.termBytes.toString('utf8', this.termOffsets[i], this.termOffsets[i + 1]);
  }
}

/** The tag of the snapshot at `path`, or undefined when there is none (or of another format). */
export function readSnapshotTag(path: string): SnapshotTag | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r');
  try {
    const parsed = parseHeader(readAt(fd, 0, HEADER_BYTES));
    return parsed && { seq: parsed.seq, storeId: parsed.storeId };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function parseHeader(header: Buffer): (SnapshotTag & { counts: number[] }) | undefined {
  if (header.length < HEADER_BYTES || header.readUInt32LE(0) !== MAGIC || header.readUInt32LE(4) !== FORMAT) return undefined;
  return {
    seq: header.readDoubleLE(8),
    storeId: header.toString('hex', 16, 32),
    counts: Array.from({ length: 8 }, (_, i) => header.readUInt32LE(32 + i * 4)),
  };
}

/**
 * Opens the snapshot at `path`: header, slots and dictionaries read now, postings when asked for.
 * Undefined when there is none, it is of another format, or `accept` refuses its tag.
 */
export function openKeywordSnapshot(path: string, accept: (tag: SnapshotTag) => boolean): OpenSnapshot | undefined {
  if (!existsSync(path)) return undefined;
  let fd: number | undefined = openSync(path, 'r');
  try {
    const parsed = parseHeader(readAt(fd, 0, HEADER_BYTES));
    if (!parsed || !accept({ seq: parsed.seq, storeId: parsed.storeId })) {
      closeSync(fd);
      return undefined;
    }
    const [headBytes, n, m, chunkTerms, documentTerms, idBytes, chunkTermBytes, documentTermBytes] = parsed.counts as [number, number, number, number, number, number, number, number];
    const head = readAt(fd, 0, headBytes);
    let at = HEADER_BYTES;
    const int32s = (count: number): Int32Array => {
      const view = new Int32Array(head.buffer, at, count);
      at += count * 4;
      return view;
    };
    const uint32s = (count: number): Uint32Array => {
      const view = new Uint32Array(head.buffer, at, count);
      at += count * 4;
      return view;
    };
    const bytes = (count: number): Buffer => {
      const view = head.subarray(at, at + count);
      at = pad4(at + count);
      return view;
    };
    const chunkPks = int32s(n);
    const chunkLengths = int32s(n);
    const chunkDocuments = int32s(n);
    const documentLengths = int32s(m);
    const idOffsets = uint32s(m + 1);
    const idText = bytes(idBytes);
    // One decode for all ids: byte offsets are character offsets when the ids are ASCII (the usual
    // case; thousands of separate decodes cost a cold process ~10 ms at 7,500 documents).
    const allIds = idText.toString('utf8');
    const documentIds =
      allIds.length === idText.length
        ? Array.from({ length: m }, (_, i) => allIds.slice(idOffsets[i], idOffsets[i + 1]))
        : Array.from({ length: m }, (_, i) => idText.toString('utf8', idOffsets[i], idOffsets[i + 1]));
    const open = (): number => {
      if (fd === undefined) throw new Error('the keyword snapshot was closed');
      return fd;
    };
    const chunkTermOffsets = uint32s(chunkTerms + 1);
    const chunkPostingOffsets = uint32s(chunkTerms + 1);
    const chunkTermText = bytes(chunkTermBytes);
    const documentTermOffsets = uint32s(documentTerms + 1);
    const documentPostingOffsets = uint32s(documentTerms + 1);
    const documentTermText = bytes(documentTermBytes);
    const chunkPostings = new FilePostings(open, chunkTermOffsets, chunkPostingOffsets, chunkTermText, headBytes);
    const documentPostings = new FilePostings(open, documentTermOffsets, documentPostingOffsets, documentTermText, headBytes + (chunkPostingOffsets[chunkTerms] as number));
    return {
      seq: parsed.seq,
      storeId: parsed.storeId,
      parts: { chunkPks, chunkLengths, chunkDocuments, documentIds, documentLengths, chunkPostings, documentPostings },
      close() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    throw error;
  }
}

/** Removes a snapshot file (e.g. of a store rebuilt empty). */
export function removeKeywordSnapshot(path: string): void {
  rmSync(path, { force: true });
}
