/** Hits and misses of a cache since it was created. */
export interface CacheStats {
  /** Embedding caches count texts; the response cache counts calls. */
  hits: number;
  misses: number;
  /** hits / (hits + misses), or null before the first lookup. */
  hitRate: number | null;
}

/** Counts hits and misses. */
export class CacheCounter {
  hits = 0;
  misses = 0;

  snapshot(): CacheStats {
    const total = this.hits + this.misses;
    return { hits: this.hits, misses: this.misses, hitRate: total === 0 ? null : this.hits / total };
  }
}
