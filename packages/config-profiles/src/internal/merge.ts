/** A plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Layers `overlay` over `base`: objects merge key by key, everything else (lists included) is
 * replaced. Neither input is modified.
 */
export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (overlay === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(overlay)) return structuredClone(overlay);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(overlay)) out[key] = key in out ? deepMerge(out[key], value) : structuredClone(value);
  return out;
}

/** Every path to a value that is not an object, e.g. `['server', 'port']`; lists count as values. */
export function leafPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (!isPlainObject(value)) return [prefix];
  const out: Array<Array<string | number>> = [];
  for (const [key, child] of Object.entries(value)) out.push(...leafPaths(child, [...prefix, key]));
  return out;
}

/** True when `layer` sets a value at `path` or at a list or value above it. */
export function layerSets(layer: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = layer;
  for (const key of path) {
    if (!isPlainObject(current)) return current !== undefined;
    if (!(String(key) in current)) return false;
    current = current[String(key)];
  }
  return current !== undefined;
}
