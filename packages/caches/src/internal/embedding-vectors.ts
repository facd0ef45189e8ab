import { createHash } from 'node:crypto';

/** A short, fixed-size stand-in for an embedder identity key, stored on every cached vector. */
export const identityHash = (identityKey: string): string => createHash('sha256').update(identityKey).digest('base64url').slice(0, 22);

/** Bytes per value stored: 8 (`float64`, exact) or 4 (`float32`). */
export type VectorPrecision = 4 | 8;

/** A vector as little-endian IEEE floats of `precision` bytes each. */
export function encodeVector(vector: readonly number[], precision: VectorPrecision): Buffer {
  const array = precision === 4 ? Float32Array.from(vector) : Float64Array.from(vector);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** The vector stored by {@link encodeVector}. */
export function decodeVector(bytes: Uint8Array, precision: number): number[] {
  // Copy into a fresh, aligned buffer before viewing it as floats.
  const aligned = new Uint8Array(bytes).buffer;
  return Array.from(precision === 4 ? new Float32Array(aligned) : new Float64Array(aligned));
}
