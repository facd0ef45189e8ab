import type { PostingList, PostingSource } from './keyword-postings.js';
import type { KeywordIndexParts } from './store-keyword-index.js';

/**
 * The keyword index as bytes, so a process opens it instead of reading every chunk's terms. Little
 * endian, sections 4-byte aligned:
 *
 *   header     magic "RBKI", format version, covered change sequence (f64), chunk slots n,
 *              document slots m
 *   slots      chunk row keys, body lengths and document slots (Int32 × n each); document
 *              lengths (Int32 × m); document ids (offsets Uint32 × m+1, UTF-8)
 *   postings   for chunks, then documents: term count T, offsets of each term's UTF-8 bytes
 *              (Uint32 × T+1) and of its postings (Uint32 × T+1), the term bytes (sorted by byte
 *              order, for binary search), the postings (per entry: slot gap and frequency × scale
 *              as LEB128 varints)
 *
 * Lists are decoded only when a term is asked for.
 */
const MAGIC = 0x494b4252;
const FORMAT = 1;
/** Chunk frequencies are multiples of 1/2 (heading terms count half); document ones are counts. */
const CHUNK_SCALE = 2;
const DOCUMENT_SCALE = 1;

/** Bytes appended to a growing buffer. */
class ByteWriter {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  varint(value: number): void {
    this.ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.length++] = v;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  int32s(values: Int32Array | Uint32Array): void {
    this.align();
    this.raw(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  uint32(value: number): void {
    this.int32s(Uint32Array.of(value));
  }

  float64(value: number): void {
    this.align();
    this.raw(new Uint8Array(Float64Array.of(value).buffer));
  }

  align(): void {
    while (this.length % 4 !== 0) this.raw(Uint8Array.of(0));
  }

  result(): Buffer {
    return Buffer.from(this.bytes.buffer, 0, this.length);
  }
}

/** Reads the sections back, viewing aligned arrays in place. */
class ByteReader {
  offset = 0;
  constructor(private readonly data: Buffer) {}

  private align(): void {
    this.offset = (this.offset + 3) & ~3;
  }

  uint32(): number {
    this.align();
    const value = this.data.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  float64(): number {
    this.align();
    const value = this.data.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  int32s(count: number): Int32Array {
    this.align();
    const at = this.data.byteOffset + this.offset;
    this.offset += count * 4;
    if (at % 4 === 0) return new Int32Array(this.data.buffer, at, count);
    return new Int32Array(this.data.buffer.slice(at, at + count * 4));
  }

  uint32s(count: number): Uint32Array {
    const values = this.int32s(count);
    return new Uint32Array(values.buffer, values.byteOffset, count);
  }

  bytes(count: number): Buffer {
    const out = this.data.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
}

/** Writes the term dictionary and postings of one kind of slot. */
function writePostings(out: ByteWriter, lists: ReadonlyMap<string, PostingList>, scale: number): void {
  const terms = [...lists.keys()].map((term) => ({ term, bytes: Buffer.from(term, 'utf8') })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const termOffsets = new Uint32Array(terms.length + 1);
  const postingOffsets = new Uint32Array(terms.length + 1);
  const termBytes = new ByteWriter();
  const postings = new ByteWriter();
  terms.forEach(({ term, bytes }, i) => {
    termBytes.raw(bytes);
    termOffsets[i + 1] = termBytes.length;
    const list = lists.get(term) as PostingList;
    let previous = 0;
    for (let e = 0; e < list.length; e++) {
      const slot = list.slots[e] as number;
      postings.varint(slot - previous);
      postings.varint(Math.round((list.freqs[e] as number) * scale));
      previous = slot;
    }
    postingOffsets[i + 1] = postings.length;
  });
  out.uint32(terms.length);
  out.int32s(termOffsets);
  out.int32s(postingOffsets);
  out.uint32(termBytes.length);
  out.raw(termBytes.bytes.subarray(0, termBytes.length));
  out.uint32(postings.length);
  out.raw(postings.bytes.subarray(0, postings.length));
}

/** A dictionary section, searched by binary search on the term bytes. */
class SnapshotPostings implements PostingSource {
  constructor(
    private readonly termOffsets: Uint32Array,
    private readonly termBytes: Buffer,
    private readonly postingOffsets: Uint32Array,
    private readonly postings: Buffer,
    private readonly scale: number,
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
    const bytes = this.postings;
    const end = this.postingOffsets[i + 1] as number;
    // At most one entry per two bytes: sized for that, cut to what was read.
    const slots = new Int32Array((end - (this.postingOffsets[i] as number)) >> 1);
    const freqs = new Float32Array(slots.length);
    let at = this.postingOffsets[i] as number;
    let n = 0;
    let slot = 0;
    while (at < end) {
      let gap = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = bytes[at++] as number;
        gap |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      let freq = 0;
      shift = 0;
      do {
        byte = bytes[at++] as number;
        freq |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      slot += gap;
      slots[n] = slot;
      freqs[n] = freq / this.scale;
      n++;
    }
    return { slots: slots.subarray(0, n), freqs: freqs.subarray(0, n) };
  }

  *terms(): Iterable<string> {
    for (let i = 0; i + 1 < this.termOffsets.length; i++) yield this.termBytes.toString('utf8', this.termOffsets[i], this.termOffsets[i + 1]);
  }
}

function readPostings(input: ByteReader, scale: number): SnapshotPostings {
  const count = input.uint32();
  const termOffsets = input.uint32s(count + 1);
  const postingOffsets = input.uint32s(count + 1);
  const termBytes = input.bytes(input.uint32());
  const postings = input.bytes(input.uint32());
  return new SnapshotPostings(termOffsets, termBytes, postingOffsets, postings, scale);
}

/** What a snapshot holds besides postings (the output of `StoreKeywordIndex.parts()`). */
export type SnapshotParts = Omit<KeywordIndexParts, 'chunkPostings' | 'documentPostings'> & {
  chunkPostings: ReadonlyMap<string, PostingList>;
  documentPostings: ReadonlyMap<string, PostingList>;
};

/** The index (without removed slots) as snapshot bytes, covering the change log up to `seq`. */
export function encodeKeywordSnapshot(parts: SnapshotParts, seq: number): Buffer {
  const out = new ByteWriter();
  out.uint32(MAGIC);
  out.uint32(FORMAT);
  out.float64(seq);
  out.uint32(parts.chunkPks.length);
  out.uint32(parts.documentIds.length);
  out.int32s(parts.chunkPks);
  out.int32s(parts.chunkLengths);
  out.int32s(parts.chunkDocuments);
  out.int32s(parts.documentLengths);
  const ids = parts.documentIds.map((id) => Buffer.from(id, 'utf8'));
  const idOffsets = new Uint32Array(ids.length + 1);
  ids.forEach((id, i) => (idOffsets[i + 1] = (idOffsets[i] as number) + id.length));
  out.int32s(idOffsets);
  for (const id of ids) out.raw(id);
  writePostings(out, parts.chunkPostings, CHUNK_SCALE);
  writePostings(out, parts.documentPostings, DOCUMENT_SCALE);
  return out.result();
}

/** The index parts in a snapshot and the change sequence it covers; undefined for another format. */
export function decodeKeywordSnapshot(data: Buffer): { seq: number; parts: KeywordIndexParts } | undefined {
  const input = new ByteReader(data);
  if (data.length < 24 || input.uint32() !== MAGIC || input.uint32() !== FORMAT) return undefined;
  const seq = input.float64();
  const n = input.uint32();
  const m = input.uint32();
  const chunkPks = input.int32s(n);
  const chunkLengths = input.int32s(n);
  const chunkDocuments = input.int32s(n);
  const documentLengths = input.int32s(m);
  const idOffsets = input.uint32s(m + 1);
  const idBytes = input.bytes(idOffsets[m] as number);
  const documentIds = Array.from({ length: m }, (_, i) => idBytes.toString('utf8', idOffsets[i], idOffsets[i + 1]));
  const chunkPostings = readPostings(input, CHUNK_SCALE);
  const documentPostings = readPostings(input, DOCUMENT_SCALE);
  return { seq, parts: { chunkPks, chunkLengths, chunkDocuments, documentIds, documentLengths, chunkPostings, documentPostings } };
}
