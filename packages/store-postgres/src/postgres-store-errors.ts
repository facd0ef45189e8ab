import { RagbridgeError } from '@ragbridge/core-interfaces';

/**
 * The database cannot hold a ragbridge store as it is: pgvector is not installed, the schema was
 * migrated by a newer version of this package, or it is not migrated and `migrate` is off. Not
 * retryable: the same call fails the same way until someone changes the database or the package.
 */
export class PostgresStoreError extends RagbridgeError {
  static override readonly errorName: string = 'PostgresStoreError';
  static override readonly defaultMessage: string = 'The PostgreSQL database cannot hold the document store';
  static override readonly defaultHint: string = 'See "Errors" in the @ragbridge/store-postgres README.';
}
