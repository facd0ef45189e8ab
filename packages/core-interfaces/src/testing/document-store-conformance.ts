import type { Chunk, SourceDocument } from '../documents.js';
import type { DocumentRecord, IndexedChunk } from '../document-store.js';
import type { DocumentStoreV2, KeywordCandidatesQuery } from '../document-store-v2.js';
import { embedderIdentityKey, type EmbedderIdentity } from '../embedder.js';
import { abortedSignal, captureRejection, ensure, ensureAbortError, type ConformanceCheck } from './conformance-core.js';
import { registerConformanceChecks } from './conformance-register.js';

/** Options of the document store conformance suite. */
export interface DocumentStoreConformanceOptions {
  /** Creates an empty store (called once per check; the check closes it). */
  create: () => DocumentStoreV2 | Promise<DocumentStoreV2>;
  /**
   * A second handle on the same data as `store` (another connection, as a second process or
   * replica would open it). Without it the checks of writers on two handles are skipped.
   */
  openSecond?: (store: DocumentStoreV2) => DocumentStoreV2 | Promise<DocumentStoreV2>;
  /** Per-check timeout in ms. @default 15000 */
  timeoutMs?: number;
}

const IDENTITY_A: EmbedderIdentity = { provider: 'conformance', modelId: 'vectors-a', revision: '1', pooling: 'mean', normalized: true };
const IDENTITY_B: EmbedderIdentity = { provider: 'conformance', modelId: 'vectors-b', revision: '1', pooling: 'mean', normalized: true };

/** Index terms as the conformance records carry them: lower-cased, split on spaces (technical tokens kept whole). */
const terms = (text: string): string => text.toLowerCase().split(/\s+/).filter(Boolean).join(' ');

interface ChunkSpec {
  text: string;
  page?: number;
  heading?: string;
}

/** A document record with chunks `<id>#0`, `<id>#1`, … */
function record(id: string, chunks: ReadonlyArray<string | ChunkSpec>, extra: { source?: string; name?: string; title?: string; hash?: string } = {}): DocumentRecord {
  const document: SourceDocument = {
    id,
    source: extra.source ?? `/docs/${id}.pdf`,
    name: extra.name ?? `${id}.pdf`,
    ...(extra.title !== undefined && { title: extra.title }),
    mediaType: 'application/pdf',
    contentHash: extra.hash ?? `hash-${id}`,
    pageCount: chunks.length,
    byteSize: 1000 + chunks.length,
    ingestedAt: 1_700_000_000_000,
  };
  let offset = 0;
  const indexed: IndexedChunk[] = chunks.map((spec, i) => {
    const { text, page, heading } = typeof spec === 'string' ? { text: spec, page: undefined, heading: undefined } : spec;
    const start = offset;
    offset += text.length + 1;
    const sectionPath = heading ? ['Chapter 1', heading] : [];
    return {
      id: `${id}#${i}`,
      docId: id,
      text,
      page: page ?? i + 1,
      pageEnd: page ?? i + 1,
      pageLabel: String(page ?? i + 1),
      sectionPath,
      ...(heading && { section: { title: heading, anchor: heading.toLowerCase().replace(/\W+/g, '-') } }),
      charStart: start,
      charEnd: start + text.length,
      terms: terms(text),
      headingTerms: terms(sectionPath.join(' ')),
    };
  });
  return { document, chunks: indexed, documentTerms: terms([extra.title ?? '', extra.name ?? id].join(' ')) };
}

/** A unit vector pointing mostly along axis `axis` of `dims`. */
function unit(dims: number, axis: number, tilt = 0): number[] {
  const v = Array.from({ length: dims }, (_, i) => (i === axis ? 1 : i === (axis + 1) % dims ? tilt : 0.01));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const query = (groups: string[][], limit = 10, rareTermLimit = 0): KeywordCandidatesQuery => ({ groups, limit, rareTermLimit });

async function candidateIds(store: DocumentStoreV2, q: KeywordCandidatesQuery): Promise<string[]> {
  return (await store.keywordSearch.keywordCandidates(q)).chunks.map((c) => c.id).sort();
}

const withoutTerms = (chunk: IndexedChunk): Chunk => {
  const { terms: _t, headingTerms: _h, ...plain } = chunk;
  return plain;
};

/** The checks of the DocumentStore contract (v2), runnable without vitest. */
export function documentStoreConformanceChecks(options: DocumentStoreConformanceOptions): ConformanceCheck[] {
  /** Runs `body` on a fresh store and closes it, whatever happens. */
  const withStore = async (body: (store: DocumentStoreV2) => Promise<void>): Promise<void> => {
    const store = await options.create();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };
  const withTwo = async (body: (first: DocumentStoreV2, second: DocumentStoreV2) => Promise<void>): Promise<void> =>
    withStore(async (first) => {
      const open = options.openSecond;
      ensure(open, 'openSecond is required by this check');
      const second = await open(first);
      try {
        await body(first, second);
      } finally {
        await second.close();
      }
    });

  const checks: ConformanceCheck[] = [
    {
      id: 'contract-shape',
      description: 'declares specificationVersion v2 with keyword (v1) and vector (v1) search providers',
      run: () =>
        withStore(async (store) => {
          ensure(store.specificationVersion === 'v2', `specificationVersion should be "v2", got ${String(store.specificationVersion)}`);
          ensure(store.keywordSearch?.specificationVersion === 'v1', 'keywordSearch should be a KeywordSearchV1');
          ensure(store.vectorSearch?.specificationVersion === 'v1', 'vectorSearch should be a VectorSearchV1');
          const stats = await store.stats();
          ensure(stats.documents === 0 && stats.chunks === 0, `a new store should be empty, holds ${stats.documents} documents and ${stats.chunks} chunks`);
        }),
    },
    {
      id: 'round-trip',
      description: 'returns documents and chunks as stored: fields, reading order, chunks in the order asked',
      run: () =>
        withStore(async (store) => {
          const beta = record('beta', [{ text: 'Second document text', heading: 'Registers' }, 'More text of beta'], { title: 'Beta manual', name: 'beta.pdf' });
          const alpha = record('alpha', ['Alpha page one', { text: 'Alpha page two', page: 7, heading: 'Traps' }], { name: 'alpha.pdf' });
          await store.putDocument(beta);
          await store.putDocument(alpha);
          const listed = await store.listDocuments();
          ensure(listed.map((d) => d.id).join() === 'alpha,beta', `listDocuments should list by name, got ${listed.map((d) => d.id).join()}`);
          const got = await store.getDocument('beta');
          ensure(JSON.stringify(got) === JSON.stringify(beta.document), `getDocument returned ${JSON.stringify(got)}, stored ${JSON.stringify(beta.document)}`);
          ensure((await store.getDocumentBySource(alpha.document.source))?.id === 'alpha', 'getDocumentBySource did not find alpha');
          ensure((await store.getDocument('nope')) === undefined, 'getDocument of an unknown id should be undefined');
          const chunks = await store.getDocumentChunks('alpha');
          ensure(JSON.stringify(chunks) === JSON.stringify(alpha.chunks.map(withoutTerms)), `getDocumentChunks returned ${JSON.stringify(chunks)}`);
          const asked = await store.getChunks(['beta#1', 'missing', 'alpha#0', 'beta#0']);
          ensure(asked.map((c) => c.id).join() === 'beta#1,alpha#0,beta#0', `getChunks should keep the order asked and leave out unknown ids, got ${asked.map((c) => c.id).join()}`);
          ensure(JSON.stringify(asked[2]) === JSON.stringify(withoutTerms(beta.chunks[0] as IndexedChunk)), `a chunk with a section came back as ${JSON.stringify(asked[2])}`);
          const stats = await store.stats();
          ensure(stats.documents === 2 && stats.chunks === 4, `stats should count 2 documents and 4 chunks, got ${JSON.stringify(stats)}`);
        }),
    },
    {
      id: 'replace',
      description: 'a document put again (same id, or same source under another id) replaces the old one with its chunks and vectors',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('doc', ['old one', 'old two', 'old three']));
          await store.putVectors({ identity: IDENTITY_A, entries: [0, 1, 2].map((i) => ({ chunkId: `doc#${i}`, vector: unit(4, i) })) });
          await store.putDocument(record('doc', ['new one', 'new two'], { hash: 'second' }));
          ensure((await store.getDocument('doc'))?.contentHash === 'second', 'the document was not replaced');
          ensure((await store.getDocumentChunks('doc')).map((c) => c.text).join() === 'new one,new two', 'old chunks survived the replacement');
          const stats = await store.stats();
          ensure(stats.chunks === 2, `2 chunks expected after the replacement, the store holds ${stats.chunks}`);
          ensure((stats.vectors[embedderIdentityKey(IDENTITY_A)] ?? 0) === 0, 'vectors of the replaced chunks survived');
          ensure((await store.chunksWithoutVectors(IDENTITY_A)).join() === 'doc#0,doc#1', 'the new chunks should have no vectors');
          ensure((await candidateIds(store, query([['old']]))).length === 0, 'keyword search still finds replaced chunks');
          await store.putDocument(record('renamed', ['moved text'], { source: '/docs/doc.pdf' }));
          ensure((await store.getDocument('doc')) === undefined, 'the document with the same source was not replaced');
          ensure((await store.stats()).documents === 1, 'replacing by source left two documents');
        }),
    },
    {
      id: 'delete',
      description: 'deleting a document removes its chunks, vectors and keyword entries; deleting again says false',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('gone', ['ephemeral words here']));
          await store.putDocument(record('kept', ['permanent words here']));
          await store.putVectors({ identity: IDENTITY_A, entries: [{ chunkId: 'gone#0', vector: unit(4, 0) }, { chunkId: 'kept#0', vector: unit(4, 1) }] });
          ensure((await store.deleteDocument('gone')) === true, 'deleteDocument of a stored document should return true');
          ensure((await store.deleteDocument('gone')) === false, 'deleteDocument of a missing document should return false');
          ensure((await store.getChunks(['gone#0'])).length === 0, 'chunks of a deleted document remain');
          ensure((await candidateIds(store, query([['ephemeral']]))).length === 0, 'keyword search finds a deleted chunk');
          ensure((await candidateIds(store, query([['words']]))).join() === 'kept#0', 'keyword search lost the other document');
          const near = await store.vectorSearch.vectorCandidates({ identity: IDENTITY_A, vector: unit(4, 0), limit: 5 });
          ensure(near.map((h) => h.id).join() === 'kept#0', `vector search should only find kept#0, got ${near.map((h) => h.id).join()}`);
        }),
    },
    {
      id: 'failed-write',
      description: 'a write that fails (two chunks with one id) changes nothing: the previous document stays whole',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('doc', ['first version text']));
          const broken = record('doc', ['second version', 'second again'], { hash: 'broken' });
          (broken.chunks[1] as IndexedChunk).id = (broken.chunks[0] as IndexedChunk).id;
          await captureRejection(() => store.putDocument(broken), 'putDocument with a duplicate chunk id');
          ensure((await store.getDocument('doc'))?.contentHash === 'hash-doc', 'the failed write changed the document');
          ensure((await store.getDocumentChunks('doc')).map((c) => c.text).join() === 'first version text', 'the failed write changed the chunks');
          ensure((await candidateIds(store, query([['first']]))).join() === 'doc#0', 'the failed write changed the keyword index');
        }),
    },
    {
      id: 'vectors',
      description: 'vectors per embedder identity: nearest first by cosine, identities kept apart, missing ones listed',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('doc', ['zero', 'one', 'two', 'three']));
          await store.putVectors({ identity: IDENTITY_A, entries: [0, 1, 2].map((i) => ({ chunkId: `doc#${i}`, vector: unit(8, i) })) });
          await store.putVectors({ identity: IDENTITY_B, entries: [{ chunkId: 'doc#3', vector: Float32Array.from(unit(3, 0)) }] });
          const near = await store.vectorSearch.vectorCandidates({ identity: IDENTITY_A, vector: unit(8, 1, 0.3), limit: 2 });
          ensure(near.length === 2 && near[0]?.id === 'doc#1', `the nearest vector should be doc#1, got ${JSON.stringify(near)}`);
          ensure(near[0].score > (near[1]?.score ?? Infinity), 'vector candidates should come best first');
          ensure(Math.abs(near[0].score - 1 / Math.hypot(1, 0.3, 0.06)) < 0.02, `score should be the cosine similarity (about 0.955), got ${near[0].score}`);
          const other = await store.vectorSearch.vectorCandidates({ identity: IDENTITY_B, vector: unit(3, 0), limit: 5 });
          ensure(other.map((h) => h.id).join() === 'doc#3', `identity B should only see its own vector, got ${other.map((h) => h.id).join()}`);
          const none = await store.vectorSearch.vectorCandidates({ identity: { ...IDENTITY_A, revision: '2' }, vector: unit(8, 0), limit: 5 });
          ensure(none.length === 0, 'an identity with no vectors should find nothing');
          ensure((await store.chunksWithoutVectors(IDENTITY_A)).join() === 'doc#3', 'chunksWithoutVectors(A) should be doc#3');
          const stats = await store.stats();
          ensure(stats.vectors[embedderIdentityKey(IDENTITY_A)] === 3 && stats.vectors[embedderIdentityKey(IDENTITY_B)] === 1, `vector counts wrong: ${JSON.stringify(stats.vectors)}`);
        }),
    },
    {
      id: 'vectors-refused',
      description: 'a batch of another length, or for a chunk that does not exist, is refused and stores nothing',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('doc', ['zero', 'one']));
          await store.putVectors({ identity: IDENTITY_A, entries: [{ chunkId: 'doc#0', vector: unit(4, 0) }] });
          await captureRejection(() => store.putVectors({ identity: IDENTITY_A, entries: [{ chunkId: 'doc#1', vector: unit(5, 0) }] }), 'putVectors of another length');
          await captureRejection(
            () => store.putVectors({ identity: IDENTITY_A, entries: [{ chunkId: 'doc#1', vector: unit(4, 1) }, { chunkId: 'nope#9', vector: unit(4, 2) }] }),
            'putVectors for a chunk that does not exist',
          );
          ensure((await store.chunksWithoutVectors(IDENTITY_A)).join() === 'doc#1', 'a refused batch stored a vector');
        }),
    },
    {
      id: 'keyword-technical-terms',
      description: 'terms are matched as given: funct3, mstatus.mie, 0x7b0 and v1.7 each find their chunk',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(
            record('isa', [
              'the funct3 field selects the operation',
              'set mstatus.mie to enable interrupts',
              'the dcsr register is at 0x7b0 in csr space',
              'changes in v1.7 of the debug spec',
              'a plain sentence about registers and fields',
            ]),
          );
          for (const [term, id] of [
            ['funct3', 'isa#0'],
            ['mstatus.mie', 'isa#1'],
            ['0x7b0', 'isa#2'],
            ['v1.7', 'isa#3'],
          ] as const) {
            const found = await candidateIds(store, query([[term]]));
            ensure(found.join() === id, `"${term}" should find ${id} only, found [${found.join()}]`);
          }
          ensure((await candidateIds(store, query([['mstatus']]))).length === 0, '"mstatus" should not match the term "mstatus.mie" (no re-tokenising)');
        }),
    },
    {
      id: 'keyword-statistics',
      description: 'candidates carry their index terms with the collection statistics (chunk and document frequencies, lengths)',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('a', ['alpha beta gamma', 'alpha delta'], { title: 'Alpha guide', name: 'a.pdf' }));
          await store.putDocument(record('b', [{ text: 'beta beta epsilon zeta', heading: 'Zeta' }], { title: 'Other', name: 'b.pdf' }));
          const found = await store.keywordSearch.keywordCandidates(query([['alpha'], ['beta'], ['absent']], 10));
          const s = found.stats;
          ensure(s.chunks === 3, `stats.chunks should be 3, got ${s.chunks}`);
          ensure(Math.abs(s.averageChunkTerms - 9 / 3) < 1e-9, `averageChunkTerms should be 3 (body terms), got ${s.averageChunkTerms}`);
          ensure(s.chunkFrequency.alpha === 2 && s.chunkFrequency.beta === 2 && s.chunkFrequency.absent === 0, `chunkFrequency wrong: ${JSON.stringify(s.chunkFrequency)}`);
          ensure(s.documents === 2, `stats.documents should be 2, got ${s.documents}`);
          ensure(s.documentFrequency.alpha === 1 && s.documentFrequency.beta === 0 && s.documentFrequency.absent === 0, `documentFrequency wrong: ${JSON.stringify(s.documentFrequency)}`);
          ensure(Math.abs(s.averageDocumentTerms - (3 + 2) / 2) < 1e-9, `averageDocumentTerms should be 2.5, got ${s.averageDocumentTerms}`);
          ensure(found.chunks.map((c) => c.id).sort().join() === 'a#0,a#1,b#0', `every matching chunk should be a candidate, got ${found.chunks.map((c) => c.id).join()}`);
          const b0 = found.chunks.find((c) => c.id === 'b#0');
          ensure(b0?.docId === 'b' && b0.page === 1 && b0.terms === 'beta beta epsilon zeta' && b0.headingTerms === 'chapter 1 zeta', `candidate rows should carry doc, page and terms as stored, got ${JSON.stringify(b0)}`);
          ensure(found.documents.map((d) => `${d.id}:${d.terms}`).join() === 'a:alpha guide a.pdf', `documents whose description holds a term: ${JSON.stringify(found.documents)}`);
        }),
    },
    {
      id: 'keyword-documents',
      description: 'documents described: those of candidate chunks whose description holds a query term, and the best-matching description whatever its chunks',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('guide', ['unrelated words only'], { title: 'Vector vector', name: 'guide.pdf' }));
          await store.putDocument(record('spec', ['vector registers hold values'], { title: 'Spec', name: 'spec.pdf' }));
          await store.putDocument(record('notes', ['vector notes text'], { title: 'Vector', name: 'notes.pdf' }));
          const found = await store.keywordSearch.keywordCandidates(query([['vector']], 10));
          const ids = found.documents.map((d) => d.id);
          ensure(ids.includes('notes'), `the document of a candidate whose description holds the term should be described, got [${ids.join()}]`);
          ensure(ids.includes('guide'), `the best-matching description should be described though no chunk of it is a candidate, got [${ids.join()}]`);
          ensure(
            found.documents.every((d) => d.terms.split(' ').includes('vector')),
            `only descriptions holding a query term should be returned, got ${JSON.stringify(found.documents)}`,
          );
        }),
    },
    {
      id: 'keyword-limit-and-rare-terms',
      description: 'at most `limit` best chunks (more and rarer terms first), plus every chunk holding a term rarer than `rareTermLimit`',
      run: () =>
        withStore(async (store) => {
          const filler = Array.from({ length: 30 }, (_, i) => `common words number ${i}`);
          await store.putDocument(record('doc', [...filler, 'common words with unusual marker', 'only the rareword lives here']));
          const top = await store.keywordSearch.keywordCandidates(query([['common'], ['marker']], 1, 0));
          ensure(top.chunks.map((c) => c.id).join() === 'doc#30', `the one chunk holding both terms should rank first, got ${top.chunks.map((c) => c.id).join()}`);
          const limited = await candidateIds(store, query([['common'], ['rareword']], 5, 0));
          ensure(limited.length <= 5, `limit 5 returned ${limited.length} candidates`);
          const withRare = await candidateIds(store, query([['common'], ['rareword']], 2, 1));
          ensure(withRare.includes('doc#31'), `a chunk holding a term no more frequent than rareTermLimit must be a candidate, got ${withRare.join()}`);
          ensure(withRare.length <= 3, `limit 2 plus one rare chunk returned ${withRare.length}`);
        }),
    },
    {
      id: 'writes-visible',
      description: 'every write is visible to the next search and moves the revision; reads leave it alone',
      run: () =>
        withStore(async (store) => {
          const r0 = await store.revision();
          await store.putDocument(record('one', ['first searchable']));
          const r1 = await store.revision();
          ensure(r1 !== r0, 'putDocument did not change the revision');
          ensure((await candidateIds(store, query([['searchable']]))).join() === 'one#0', 'a new chunk is not found at once');
          await store.putDocument(record('two', ['second searchable']));
          ensure((await candidateIds(store, query([['searchable']]))).join() === 'one#0,two#0', 'a second document is not found at once');
          ensure((await store.revision()) === (await store.revision()), 'the revision changed without a write');
          const r2 = await store.revision();
          await store.putVectors({ identity: IDENTITY_A, entries: [{ chunkId: 'one#0', vector: unit(4, 0) }] });
          const r3 = await store.revision();
          ensure(r3 !== r2, 'putVectors did not change the revision');
          ensure((await store.vectorSearch.vectorCandidates({ identity: IDENTITY_A, vector: unit(4, 0), limit: 1 }))[0]?.id === 'one#0', 'a new vector is not found at once');
          await store.deleteDocument('two');
          ensure((await store.revision()) !== r3, 'deleteDocument did not change the revision');
        }),
    },
    {
      id: 'abort',
      description: 'searches with an aborted signal reject with AbortError',
      run: () =>
        withStore(async (store) => {
          await store.putDocument(record('doc', ['words']));
          ensureAbortError(await captureRejection(() => store.keywordSearch.keywordCandidates({ ...query([['words']]), abortSignal: abortedSignal() }), 'an aborted keyword search'), 'keyword search');
          ensureAbortError(
            await captureRejection(() => store.vectorSearch.vectorCandidates({ identity: IDENTITY_A, vector: unit(4, 0), limit: 1, abortSignal: abortedSignal() }), 'an aborted vector search'),
            'vector search',
          );
        }),
    },
    {
      id: 'concurrent-same-document',
      description: 'the same document put twice at once ends as one copy',
      run: () =>
        withStore(async (store) => {
          const doc = record('same', ['one', 'two', 'three']);
          await Promise.all([store.putDocument(doc), store.putDocument(doc), store.putDocument(record('same', ['uno', 'dos', 'tres']))]);
          const stats = await store.stats();
          ensure(stats.documents === 1 && stats.chunks === 3, `one copy expected, the store holds ${stats.documents} documents and ${stats.chunks} chunks`);
        }),
    },
    {
      id: 'two-handles',
      description: 'writes through one handle are seen through another (documents, keyword and vector search)',
      requires: { secondHandle: true },
      run: () =>
        withTwo(async (first, second) => {
          await second.keywordSearch.keywordCandidates(query([['anything']]));
          await first.putDocument(record('shared', ['visible across handles']));
          await first.putVectors({ identity: IDENTITY_A, entries: [{ chunkId: 'shared#0', vector: unit(4, 2) }] });
          ensure((await second.getDocument('shared'))?.id === 'shared', 'the second handle does not see the document');
          ensure((await candidateIds(second, query([['visible']]))).join() === 'shared#0', 'the second handle’s keyword search does not see the new chunk');
          ensure((await second.vectorSearch.vectorCandidates({ identity: IDENTITY_A, vector: unit(4, 2), limit: 1 }))[0]?.id === 'shared#0', 'the second handle’s vector search does not see the new vector');
          await second.deleteDocument('shared');
          ensure((await candidateIds(first, query([['visible']]))).length === 0, 'the first handle still finds a chunk the second deleted');
        }),
    },
    {
      id: 'two-handles-same-document',
      description: 'two handles putting the same document at once end with one copy',
      requires: { secondHandle: true },
      run: () =>
        withTwo(async (first, second) => {
          const chunks = Array.from({ length: 40 }, (_, i) => `chunk number ${i} of the shared manual`);
          await Promise.all([first.putDocument(record('manual', chunks)), second.putDocument(record('manual', chunks)), first.putDocument(record('manual', chunks))]);
          for (const store of [first, second]) {
            const stats = await store.stats();
            ensure(stats.documents === 1 && stats.chunks === 40, `one copy expected, found ${stats.documents} documents and ${stats.chunks} chunks`);
          }
        }),
    },
  ];
  return checks;
}

/** Registers the document store conformance suite as vitest tests. */
export function describeDocumentStoreConformance(name: string, options: DocumentStoreConformanceOptions): void {
  registerConformanceChecks(`DocumentStore conformance: ${name}`, documentStoreConformanceChecks(options), {
    create: options.create,
    secondHandle: options.openSecond !== undefined,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
}
