/** Why a file could not be ingested. */
export type IngestErrorCode =
  | 'corrupt'
  | 'encrypted'
  | 'empty'
  | 'no-text'
  | 'unsupported-type'
  | 'too-large'
  | 'unreadable';

/** A per-file ingestion failure with a stable code and a message that says what to do. */
export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
