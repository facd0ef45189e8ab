import { describe, expect, it } from "vitest";

/** The shapes of the browser modules under test (plain JS, loaded as the page loads them). */
interface PartStatus {
  part: string;
  label: string;
  off?: boolean;
  note?: string;
  fallbackStep?: number;
  cacheHit?: boolean;
}
type Served = {
  backend: string;
  model?: string;
  terminal?: boolean;
  fallbackStep: number;
  cacheHit?: boolean;
} | null;
type Chain = {
  part: string;
  steps: Array<{ backend: string; model?: string; unavailable?: string }>;
};
interface AnswerStatusModule {
  partStatuses(
    meta: { parts: Record<string, Served> },
    chains?: Chain[]
  ): PartStatus[];
  needsChains(meta: { parts: Record<string, Served> }): boolean;
  reranked(meta: { parts: Record<string, Served> }): boolean;
  scoreView(
    source: { score?: number; rerankScore?: number },
    best: number,
    byReranker: boolean
  ): { kind: string; fraction: number; text: string };
}

const status = (await import(
  new URL("../public/answer-status.js", import.meta.url).href
)) as AnswerStatusModule;

const NOT_ON_DISK = "model files not on disk, and downloads are off";
/** The offline profile's chains as /api/profile lists them once no model was found on disk. */
const offlineChains: Chain[] = [
  { part: "answer", steps: [{ backend: "extractive" }] },
  {
    part: "embedder",
    steps: [
      {
        backend: "transformersjs",
        model: "Xenova/all-MiniLM-L6-v2",
        unavailable: NOT_ON_DISK,
      },
      { backend: "keyword" },
    ],
  },
  {
    part: "reranker",
    steps: [
      {
        backend: "transformersjs",
        model: "Xenova/ms-marco-MiniLM-L-6-v2",
        unavailable: NOT_ON_DISK,
      },
      { backend: "fused-order" },
    ],
  },
];
/** The meta event of an offline answer (servedBy of ask-events). */
const offlineMeta = {
  parts: {
    answer: { backend: "extractive", terminal: true, fallbackStep: 0 },
    embedder: { backend: "keyword", terminal: true, fallbackStep: 1 },
    reranker: { backend: "fused-order", terminal: true, fallbackStep: 1 },
  },
};

describe("the status line under an answer", () => {
  it("offline without models on disk: terminal steps named once, a neutral note instead of a fallback mark", () => {
    expect(status.needsChains(offlineMeta)).toBe(true);
    expect(status.partStatuses(offlineMeta, offlineChains)).toEqual([
      { part: "answer", label: "extractive", cacheHit: false },
      {
        part: "embedder",
        label: "keyword retrieval",
        note: "no embedder model on disk",
        cacheHit: false,
      },
      {
        part: "reranker",
        label: "fused order",
        note: "no reranker model on disk",
        cacheHit: false,
      },
    ]);
  });

  it("a terminal step after a model that is installed but failed is a fallback, marked with its step", () => {
    const chains = offlineChains.map((c) => ({
      ...c,
      steps: c.steps.map(({ unavailable: _, ...step }) => step),
    }));
    const [, embedder, reranker] = status.partStatuses(offlineMeta, chains);
    expect(embedder).toEqual({
      part: "embedder",
      label: "keyword retrieval",
      fallbackStep: 2,
      cacheHit: false,
    });
    expect(reranker).toMatchObject({ fallbackStep: 2 });
    expect(reranker?.note).toBeUndefined();
    // Without the chains (the profile could not be read) a later step is a fallback too.
    expect(status.partStatuses(offlineMeta)[1]).toMatchObject({
      fallbackStep: 2,
    });
  });

  it("a chain whose hosted first step failed and whose local second step is not installed still flags the fallback", () => {
    const meta = {
      parts: {
        answer: { backend: "extractive", terminal: true, fallbackStep: 1 },
        embedder: null,
        reranker: { backend: "fused-order", terminal: true, fallbackStep: 2 },
      },
    };
    const chains: Chain[] = [
      {
        part: "answer",
        steps: [
          { backend: "hf-inference-providers", model: "openai/gpt-oss-20b" },
          { backend: "extractive" },
        ],
      },
      {
        part: "reranker",
        steps: [
          {
            backend: "hf-inference-providers",
            model: "cross-encoder/ms-marco-MiniLM-L6-v2",
          },
          {
            backend: "transformersjs",
            model: "Xenova/ms-marco-MiniLM-L-6-v2",
            unavailable: NOT_ON_DISK,
          },
          { backend: "fused-order" },
        ],
      },
    ];
    expect(status.partStatuses(meta, chains)).toEqual([
      { part: "answer", label: "extractive", fallbackStep: 2, cacheHit: false },
      { part: "embedder", label: "not used", off: true },
      {
        part: "reranker",
        label: "fused order",
        fallbackStep: 3,
        cacheHit: false,
      },
    ]);
  });

  it("a model that serves as the first choice: backend and model once each, cache hits kept; no chains needed", () => {
    const meta = {
      parts: {
        answer: {
          backend: "hf-inference-providers",
          model: "openai/gpt-oss-20b",
          terminal: false,
          fallbackStep: 0,
          cacheHit: true,
        },
        embedder: {
          backend: "ollama",
          model: "ollama",
          terminal: false,
          fallbackStep: 0,
        },
        reranker: null,
      },
    };
    expect(status.needsChains(meta)).toBe(false);
    expect(status.partStatuses(meta).slice(0, 2)).toEqual([
      {
        part: "answer",
        label: "hf-inference-providers (openai/gpt-oss-20b)",
        cacheHit: true,
      },
      { part: "embedder", label: "ollama", cacheHit: false },
    ]);
  });
});

describe("source scores", () => {
  it("show the reranker’s score only when a reranker model scored the hits", () => {
    const source = { score: 0.0325, rerankScore: 0.75 };
    expect(status.reranked(offlineMeta)).toBe(false);
    expect(
      status.scoreView(source, 0.065, status.reranked(offlineMeta))
    ).toEqual({ kind: "score", fraction: 0.5, text: "score 0.033" });
    const meta = {
      parts: {
        reranker: {
          backend: "hf-inference-providers",
          model: "cross-encoder/ms-marco-MiniLM-L6-v2",
          terminal: false,
          fallbackStep: 0,
        },
      },
    };
    expect(status.reranked(meta)).toBe(true);
    expect(status.scoreView(source, 0.065, true)).toEqual({
      kind: "rerank",
      fraction: 0.75,
      text: "rerank 0.75",
    });
    expect(status.reranked({ parts: { reranker: null } })).toBe(false);
    expect(status.scoreView({}, 0, true)).toEqual({
      kind: "none",
      fraction: 0,
      text: "",
    });
  });
});
