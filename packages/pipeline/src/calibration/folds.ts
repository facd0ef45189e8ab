/**
 * Splits items into `k` folds, stratified by group (e.g. question category) so every fold holds a
 * share of each, and deterministic for a seed: the same items always fall in the same folds.
 * Returns the fold (0…k−1) of each item, in input order.
 */
export function assignFolds(items: ReadonlyArray<{ id: string; group?: string }>, k: number, seed = 1): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds: expected a whole number of at least 2, got ${k}`);
  if (items.length < k) throw new RangeError(`folds: ${k} folds need at least ${k} items, got ${items.length}`);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = item.group ?? '';
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  const fold = new Array<number>(items.length).fill(0);
  let next = 0;
  for (const key of [...groups.keys()].sort()) {
    // Order within a group by a seeded hash of the id: a shuffle that does not depend on input order.
    const members = (groups.get(key) as number[]).sort((a, b) => hash(`${seed}:${(items[a] as { id: string }).id}`) - hash(`${seed}:${(items[b] as { id: string }).id}`));
    // Deal round-robin, continuing where the previous group stopped so fold sizes stay even.
    for (const i of members) fold[i] = next++ % k;
  }
  return fold;
}

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
