import { createHash } from 'node:crypto';
import { quoteIdentifier } from '@ragbridge/postgres-connection';

/** The schema-qualified names of the store's tables. */
export interface StoreTables {
  /** The schema name as given (unquoted), for messages and lock keys. */
  readonly schemaName: string;
  readonly schema: string;
  readonly migrations: string;
  readonly collection: string;
  readonly documents: string;
  readonly chunks: string;
  readonly chunkTermStats: string;
  readonly documentTermStats: string;
  readonly vectorSpaces: string;
  /** The table of one vector space's vectors. */
  vectors(spaceId: number): string;
}

export function storeTables(schemaName: string): StoreTables {
  const schema = quoteIdentifier(schemaName);
  const table = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
  return {
    schemaName,
    schema,
    migrations: table('schema_migrations'),
    collection: table('collection'),
    documents: table('documents'),
    chunks: table('chunks'),
    chunkTermStats: table('chunk_term_stats'),
    documentTermStats: table('document_term_stats'),
    vectorSpaces: table('vector_spaces'),
    vectors: (spaceId) => table(`vectors_${Math.trunc(spaceId)}`),
  };
}

/**
 * An advisory lock key (a signed 64-bit integer, as text for a `::bigint` parameter) for a purpose
 * and its subjects, e.g. `lockKey('document-source', schema, source)`. Hashing keeps any text
 * usable; the purpose and schema keep keys of different locks and stores apart.
 */
export function lockKey(purpose: string, ...subjects: string[]): string {
  const digest = createHash('sha256').update(['@ragbridge/store-postgres', purpose, ...subjects].join('\u0000')).digest();
  return BigInt.asIntN(64, digest.readBigUInt64BE(0)).toString();
}
