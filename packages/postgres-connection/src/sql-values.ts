/** A double-quoted SQL identifier. Names reaching here are validated (a schema option) or our own. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** pg returns `bigint`, `numeric` and `count(*)` as strings: the number (0 for SQL NULL). */
export const toNumber = (value: unknown): number => Number(value ?? 0);
