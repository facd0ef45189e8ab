import type { DocumentRecord, EmbedderIdentity } from '@ragbridge/core-interfaces';

export const CRASH_TEST_IDENTITY: EmbedderIdentity = { provider: 'test', modelId: 'crash-8', revision: '1', pooling: 'mean', normalized: true };

/** A small vector per chunk position (8 dimensions). */
export function crashTestVector(i: number): number[] {
  return Array.from({ length: 8 }, (_, k) => Math.cos(i * 0.37 + k));
}

/** A document of `chunks` chunks; `round` changes its hash and words so each put replaces the last. */
export function crashTestDocument(id: string, chunks: number, round: number): DocumentRecord {
  return {
    document: { id, source: `/docs/${id}.pdf`, name: `${id}.pdf`, mediaType: 'application/pdf', contentHash: `${id}-${round}`, pageCount: chunks, byteSize: chunks * 100, ingestedAt: round },
    chunks: Array.from({ length: chunks }, (_, i) => {
      const terms = `manual chunk c${i} round${round} ${Array.from({ length: 30 }, (_, k) => `w${(i * 7 + k * 13) % 997}`).join(' ')}`;
      return { id: `${id}#${i}`, docId: id, text: terms, page: i + 1, pageEnd: i + 1, pageLabel: String(i + 1), sectionPath: ['Manual'], charStart: i * 300, charEnd: i * 300 + 299, terms, headingTerms: 'manual' };
    }),
    documentTerms: `${id} manual`,
  };
}
