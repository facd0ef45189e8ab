import { createRequire } from 'node:module';

/** A scored neighbour: `id` is the insertion position. */
export interface VectorHit {
  id: number;
  score: number;
}

/** Cosine-similarity search over vectors added in order (ids 0, 1, 2, …). */
export interface VectorIndex {
  readonly size: number;
  readonly dimensions: number;
  /** Adds a vector (normalized internally) and returns its id. */
  add(vector: Float32Array): number;
  /** The `k` most similar vectors, best first. */
  search(query: Float32Array, k: number): VectorHit[];
}

function normalized(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += (vector[i] as number) * (vector[i] as number);
  norm = Math.sqrt(norm);
  const out = new Float32Array(vector.length);
  if (norm === 0) return out;
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] as number) / norm;
  return out;
}

function dot(data: Float32Array, offset: number, query: Float32Array, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    s0 += (data[offset + i] as number) * (query[i] as number);
    s1 += (data[offset + i + 1] as number) * (query[i + 1] as number);
    s2 += (data[offset + i + 2] as number) * (query[i + 2] as number);
    s3 += (data[offset + i + 3] as number) * (query[i + 3] as number);
  }
  for (; i < dims; i++) s0 += (data[offset + i] as number) * (query[i] as number);
  return s0 + s1 + s2 + s3;
}

/** Growable contiguous storage of normalized vectors. */
class VectorStorage {
  data: Float32Array;
  size = 0;
  constructor(readonly dimensions: number, capacity = 1024) {
    this.data = new Float32Array(capacity * dimensions);
  }
  push(vector: Float32Array): number {
    if (vector.length !== this.dimensions) throw new Error(`expected a vector of ${this.dimensions} dimensions, got ${vector.length}`);
    if ((this.size + 1) * this.dimensions > this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(normalized(vector), this.size * this.dimensions);
    return this.size++;
  }
  similarity(id: number, query: Float32Array): number {
    return dot(this.data, id * this.dimensions, query, this.dimensions);
  }
}

/** Keeps the k best (highest score) hits seen so far. */
class TopK {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
  size = 0;
  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.scores = new Float64Array(k);
  }
  /** The worst kept score (−∞ until full). */
  get floor(): number {
    return this.size < this.k ? -Infinity : (this.scores[0] as number);
  }
  /** Min-heap on score: the root is the worst kept hit. */
  offer(id: number, score: number): void {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((this.scores[parent] as number) <= score) break;
        this.scores[i] = this.scores[parent] as number;
        this.ids[i] = this.ids[parent] as number;
        i = parent;
      }
      this.scores[i] = score;
      this.ids[i] = id;
      return;
    }
    if (score <= (this.scores[0] as number)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && (this.scores[right] as number) < (this.scores[left] as number) ? right : left;
      if ((this.scores[child] as number) >= score) break;
      this.scores[i] = this.scores[child] as number;
      this.ids[i] = this.ids[child] as number;
      i = child;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }
  sorted(): VectorHit[] {
    const out: VectorHit[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: this.ids[i] as number, score: this.scores[i] as number });
    return out.sort((a, b) => b.score - a.score);
  }
}

/** Exact search: compares the query with every vector. Fast enough for tens of thousands of vectors. */
export class ExactVectorIndex implements VectorIndex {
  private readonly storage: VectorStorage;
  constructor(readonly dimensions: number) {
    this.storage = new VectorStorage(dimensions);
  }
  get size(): number {
    return this.storage.size;
  }
  add(vector: Float32Array): number {
    return this.storage.push(vector);
  }
  /** The stored (normalized) vector of `id`, a view of the index's storage. */
  vector(id: number): Float32Array {
    return this.storage.data.subarray(id * this.dimensions, (id + 1) * this.dimensions);
  }
  search(query: Float32Array, k: number): VectorHit[] {
    const q = normalized(query);
    const top = new TopK(Math.max(1, Math.min(k, this.size)));
    for (let id = 0; id < this.storage.size; id++) top.offer(id, this.storage.similarity(id, q));
    return this.size === 0 ? [] : top.sorted();
  }
}

/** Options of the HNSW index. */
export interface HnswOptions {
  /** Links per node on upper layers (layer 0 gets twice as many). @default 16 */
  m?: number;
  /** Candidate list size while inserting. @default 100 */
  efConstruction?: number;
  /** Candidate list size while searching (raised to k when smaller). @default 64 */
  efSearch?: number;
  /** Seed of the level generator, for reproducible graphs. @default 42 */
  seed?: number;
}

/**
 * Hierarchical navigable small-world graph (Malkov & Yashunin) over cosine similarity, in plain
 * TypeScript with typed arrays: no native code, so it runs on any OS and in browsers.
 */
export class HnswVectorIndex implements VectorIndex {
  private readonly storage: VectorStorage;
  private readonly m: number;
  private readonly m0: number;
  private readonly efConstruction: number;
  efSearch: number;
  private readonly levelFactor: number;
  private levels: Int8Array = new Int8Array(1024);
  /** Layer-0 links: m0 slots per node, count in linkCount0. */
  private links0: Int32Array;
  private linkCount0: Uint8Array;
  /** Upper-layer links per node and layer. */
  private readonly upper = new Map<number, Int32Array[]>();
  private entry = -1;
  private maxLevel = -1;
  private visited: Uint32Array = new Uint32Array(1024);
  private visitTag = 0;
  private random: () => number;

  constructor(readonly dimensions: number, options: HnswOptions = {}) {
    this.storage = new VectorStorage(dimensions);
    this.m = options.m ?? 16;
    this.m0 = this.m * 2;
    this.efConstruction = options.efConstruction ?? 100;
    this.efSearch = options.efSearch ?? 64;
    this.levelFactor = 1 / Math.log(this.m);
    this.links0 = new Int32Array(1024 * this.m0);
    this.linkCount0 = new Uint8Array(1024);
    let state = options.seed ?? 42;
    this.random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state + 0.5) / 4294967296;
    };
  }

  get size(): number {
    return this.storage.size;
  }

  private grow(capacity: number): void {
    if (capacity <= this.levels.length) return;
    const next = Math.max(capacity, this.levels.length * 2);
    const levels = new Int8Array(next);
    levels.set(this.levels);
    this.levels = levels;
    const links = new Int32Array(next * this.m0);
    links.set(this.links0);
    this.links0 = links;
    const counts = new Uint8Array(next);
    counts.set(this.linkCount0);
    this.linkCount0 = counts;
    const visited = new Uint32Array(next);
    visited.set(this.visited);
    this.visited = visited;
  }

  private neighbours(node: number, layer: number): Int32Array {
    if (layer === 0) return this.links0.subarray(node * this.m0, node * this.m0 + (this.linkCount0[node] as number));
    return (this.upper.get(node)?.[layer - 1] ?? new Int32Array(0)) as Int32Array;
  }

  private setNeighbours(node: number, layer: number, ids: number[]): void {
    if (layer === 0) {
      this.links0.set(ids, node * this.m0);
      this.linkCount0[node] = ids.length;
      return;
    }
    const layers = this.upper.get(node);
    if (layers) layers[layer - 1] = Int32Array.from(ids);
  }

  private nextTag(): number {
    this.visitTag++;
    if (this.visitTag === 0xffffffff) {
      this.visited.fill(0);
      this.visitTag = 1;
    }
    return this.visitTag;
  }

  /** Best-first search on one layer; returns up to `ef` nodes, best first. */
  private searchLayer(query: Float32Array, entryPoints: number[], ef: number, layer: number): VectorHit[] {
    const tag = this.nextTag();
    const results = new TopK(ef);
    // Candidates: a max-heap by score kept as parallel arrays.
    const candIds: number[] = [];
    const candScores: number[] = [];
    const pushCandidate = (id: number, score: number): void => {
      let i = candIds.length;
      candIds.push(id);
      candScores.push(score);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((candScores[parent] as number) >= score) break;
        candIds[i] = candIds[parent] as number;
        candScores[i] = candScores[parent] as number;
        i = parent;
      }
      candIds[i] = id;
      candScores[i] = score;
    };
    const popCandidate = (): [number, number] => {
      const top: [number, number] = [candIds[0] as number, candScores[0] as number];
      const lastId = candIds.pop() as number;
      const lastScore = candScores.pop() as number;
      const n = candIds.length;
      if (n > 0) {
        let i = 0;
        for (;;) {
          const left = 2 * i + 1;
          if (left >= n) break;
          const right = left + 1;
          const child = right < n && (candScores[right] as number) > (candScores[left] as number) ? right : left;
          if ((candScores[child] as number) <= lastScore) break;
          candIds[i] = candIds[child] as number;
          candScores[i] = candScores[child] as number;
          i = child;
        }
        candIds[i] = lastId;
        candScores[i] = lastScore;
      }
      return top;
    };
    for (const ep of entryPoints) {
      this.visited[ep] = tag;
      const score = this.storage.similarity(ep, query);
      pushCandidate(ep, score);
      results.offer(ep, score);
    }
    while (candIds.length > 0) {
      const [node, score] = popCandidate();
      if (score < results.floor) break;
      const links = this.neighbours(node, layer);
      for (let i = 0; i < links.length; i++) {
        const next = links[i] as number;
        if (this.visited[next] === tag) continue;
        this.visited[next] = tag;
        const s = this.storage.similarity(next, query);
        if (s > results.floor) {
          pushCandidate(next, s);
          results.offer(next, s);
        }
      }
    }
    return results.sorted();
  }

  /** HNSW's neighbour heuristic: keep a candidate only if it is closer to the base than to every kept one. */
  private selectNeighbours(candidates: VectorHit[], max: number): number[] {
    const kept: number[] = [];
    const dims = this.dimensions;
    for (const candidate of candidates) {
      if (kept.length >= max) break;
      const offset = candidate.id * dims;
      let good = true;
      for (const other of kept) {
        const similarityToKept = dot(this.storage.data, offset, this.storage.data.subarray(other * dims, other * dims + dims), dims);
        if (similarityToKept > candidate.score) {
          good = false;
          break;
        }
      }
      if (good) kept.push(candidate.id);
    }
    // Fill up with the nearest discarded ones so sparse regions stay connected.
    for (const candidate of candidates) {
      if (kept.length >= max) break;
      if (!kept.includes(candidate.id)) kept.push(candidate.id);
    }
    return kept;
  }

  add(vector: Float32Array): number {
    const id = this.storage.push(vector);
    this.grow(id + 1);
    const level = Math.min(15, Math.floor(-Math.log(this.random()) * this.levelFactor));
    this.levels[id] = level;
    if (level > 0) this.upper.set(id, Array.from({ length: level }, () => new Int32Array(0)));
    if (this.entry < 0) {
      this.entry = id;
      this.maxLevel = level;
      return id;
    }
    const query = this.storage.data.subarray(id * this.dimensions, (id + 1) * this.dimensions);
    let entryPoints = [this.entry];
    for (let layer = this.maxLevel; layer > level; layer--) {
      entryPoints = [this.searchLayer(query, entryPoints, 1, layer)[0]?.id ?? this.entry];
    }
    for (let layer = Math.min(level, this.maxLevel); layer >= 0; layer--) {
      const found = this.searchLayer(query, entryPoints, this.efConstruction, layer);
      const max = layer === 0 ? this.m0 : this.m;
      const chosen = this.selectNeighbours(found, this.m);
      this.setNeighbours(id, layer, chosen);
      for (const neighbour of chosen) {
        const existing = Array.from(this.neighbours(neighbour, layer));
        if (existing.length < max) {
          existing.push(id);
          this.setNeighbours(neighbour, layer, existing);
        } else {
          const base = this.storage.data.subarray(neighbour * this.dimensions, (neighbour + 1) * this.dimensions);
          // Prune an overfull list to its closest members (cheap; the heuristic runs on insertion).
          const scored = [...existing, id].map((n) => ({ id: n, score: this.storage.similarity(n, base) })).sort((a, b) => b.score - a.score);
          this.setNeighbours(neighbour, layer, scored.slice(0, max).map((h) => h.id));
        }
      }
      entryPoints = found.map((h) => h.id);
    }
    if (level > this.maxLevel) {
      this.maxLevel = level;
      this.entry = id;
    }
    return id;
  }

  search(query: Float32Array, k: number): VectorHit[] {
    if (this.entry < 0) return [];
    const q = normalized(query);
    let entryPoints = [this.entry];
    for (let layer = this.maxLevel; layer > 0; layer--) {
      entryPoints = [this.searchLayer(q, entryPoints, 1, layer)[0]?.id ?? this.entry];
    }
    return this.searchLayer(q, entryPoints, Math.max(this.efSearch, k), 0).slice(0, k);
  }
}

interface UsearchModule {
  Index: new (options: {
    metric: string;
    quantization?: string;
    connectivity: number;
    dimensions: number;
    expansion_add?: number;
    expansion_search?: number;
  }) => {
    add(key: bigint, vector: Float32Array): void;
    search(vector: Float32Array, k: number): { keys: BigUint64Array; distances: Float32Array };
    size(): number;
  };
}

let usearchModule: UsearchModule | null | undefined;

/** The optional `usearch` package (prebuilt native HNSW with SIMD), or null when it is not installed. */
export function loadUsearch(): UsearchModule | null {
  if (usearchModule !== undefined) return usearchModule;
  try {
    usearchModule = createRequire(import.meta.url)('usearch') as UsearchModule;
  } catch {
    usearchModule = null;
  }
  return usearchModule;
}

/** HNSW through the optional native `usearch` package: much faster to build and query than the TypeScript graph. */
export class UsearchVectorIndex implements VectorIndex {
  private readonly index: InstanceType<UsearchModule['Index']>;
  private count = 0;
  constructor(
    readonly dimensions: number,
    options: HnswOptions = {},
    module: UsearchModule | null = loadUsearch(),
  ) {
    if (!module) throw new Error('the optional package "usearch" is not installed (npm install usearch)');
    this.index = new module.Index({
      metric: 'cos',
      quantization: 'f32',
      connectivity: options.m ?? 16,
      dimensions,
      expansion_add: options.efConstruction ?? 128,
      expansion_search: options.efSearch ?? 64,
    });
  }
  get size(): number {
    return this.count;
  }
  add(vector: Float32Array): number {
    if (vector.length !== this.dimensions) throw new Error(`expected a vector of ${this.dimensions} dimensions, got ${vector.length}`);
    const id = this.count++;
    this.index.add(BigInt(id), vector);
    return id;
  }
  search(query: Float32Array, k: number): VectorHit[] {
    if (this.count === 0) return [];
    const result = this.index.search(query, Math.min(k, this.count));
    const hits: VectorHit[] = [];
    for (let i = 0; i < result.keys.length; i++) hits.push({ id: Number(result.keys[i]), score: 1 - (result.distances[i] as number) });
    return hits;
  }
}

/** Vector count from which search switches from exact comparison to HNSW: exact search passes 2 ms p50 at about 5,000 384-dim vectors. */
export const ANN_THRESHOLD_DEFAULT = 5_000;

/** Options of {@link createVectorIndex}. */
export interface VectorIndexOptions extends HnswOptions {
  dimensions: number;
  /** Size from which search uses HNSW instead of exact comparison. @default {@link ANN_THRESHOLD_DEFAULT} */
  annThreshold?: number;
  /** Which approximate index to use past the threshold: `auto` prefers the native `usearch` package when installed. @default 'auto' */
  ann?: 'auto' | 'usearch' | 'typescript';
}

/** The approximate index for these options: native usearch when available (or asked for), else the TypeScript HNSW. */
export function createAnnIndex(options: VectorIndexOptions): VectorIndex {
  const choice = options.ann ?? 'auto';
  if (choice === 'usearch' || (choice === 'auto' && loadUsearch())) return new UsearchVectorIndex(options.dimensions, options);
  return new HnswVectorIndex(options.dimensions, options);
}

/**
 * A vector index that searches exactly while small and switches to HNSW once it holds
 * `annThreshold` vectors (the graph is built from the stored vectors at that moment).
 */
export function createVectorIndex(options: VectorIndexOptions): VectorIndex {
  const threshold = options.annThreshold ?? ANN_THRESHOLD_DEFAULT;
  let exact: ExactVectorIndex | undefined = new ExactVectorIndex(options.dimensions);
  let hnsw: VectorIndex | undefined;
  const pending: Float32Array[] = [];
  return {
    dimensions: options.dimensions,
    get size() {
      return hnsw ? hnsw.size : (exact?.size ?? 0);
    },
    add(vector) {
      if (hnsw) return hnsw.add(vector);
      pending.push(vector);
      const id = (exact as ExactVectorIndex).add(vector);
      if (pending.length >= threshold) {
        hnsw = createAnnIndex(options);
        for (const v of pending) hnsw.add(v);
        pending.length = 0;
        exact = undefined;
      }
      return id;
    },
    search(query, k) {
      return hnsw ? hnsw.search(query, k) : (exact as ExactVectorIndex).search(query, k);
    },
  };
}

/**
 * Builds the approximate index of an exact one's vectors in slices of about `sliceMs` of work,
 * yielding to the event loop between them, so a large graph never stops the caller's thread for
 * long. `current()` is asked between slices: when it says no (the data changed), the build stops
 * and resolves undefined (a store stops its builds this way when closed).
 */
export async function buildAnnIndexInSlices(
  source: ExactVectorIndex,
  options: VectorIndexOptions,
  current: () => boolean = () => true,
  sliceMs = 8,
): Promise<VectorIndex | undefined> {
  const ann = createAnnIndex(options);
  let next = 0;
  while (next < source.size) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!current()) return undefined;
    const start = performance.now();
    do ann.add(source.vector(next++));
    while (next < source.size && performance.now() - start < sliceMs);
  }
  return ann;
}
