import { createUsageEvent, type UsageEvent } from "@ragbridge/core-interfaces";
import { describe, expect, it } from "vitest";
import { servedBy } from "./ask-events.js";

const usage = (
  backend: string,
  modelId: string,
  operation: UsageEvent["operation"],
  fallbackStep: number,
  extra: Partial<UsageEvent> = {}
): UsageEvent =>
  createUsageEvent({
    backend,
    modelId,
    operation,
    inputTokens: 0,
    startedAt: 0,
    latencyMs: 1,
    fallbackStep,
    costUsd: 0,
    ...extra,
  });

describe("servedBy: which step served each part of an answer", () => {
  it("names a terminal step once, without a model, and lists it among the later steps that served", () => {
    const served = servedBy([
      usage("keyword", "keyword", "embed", 1),
      usage("fused-order", "fused-order", "rerank", 1),
      usage("extractive", "extractive", "chat", 0),
    ]);
    expect(served.parts).toEqual({
      answer: {
        backend: "extractive",
        terminal: true,
        fallbackStep: 0,
        cacheHit: false,
      },
      embedder: {
        backend: "keyword",
        terminal: true,
        fallbackStep: 1,
        cacheHit: false,
      },
      reranker: {
        backend: "fused-order",
        terminal: true,
        fallbackStep: 1,
        cacheHit: false,
      },
    });
    expect(served.fallbacks).toEqual([
      "embedder: served by step 2 (keyword)",
      "reranker: served by step 2 (fused-order)",
    ]);
    expect(JSON.stringify(served)).not.toMatch(
      /keyword keyword|fused-order fused-order/
    );
  });

  it("a model step keeps its model; costs and cache hits add up; no chat call means an extractive answer", () => {
    const served = servedBy([
      usage("hf-inference-providers", "BAAI/bge-small-en-v1.5", "embed", 0, {
        costUsd: 0.0001,
        cacheHit: true,
      }),
      usage("ollama", "llama3.2:3b", "embed", 1, { costUsd: 0.0002 }),
    ]);
    expect(served.parts.embedder).toEqual({
      backend: "ollama",
      model: "llama3.2:3b",
      terminal: false,
      fallbackStep: 1,
      cacheHit: false,
    });
    expect(served.parts.answer).toEqual({
      backend: "extractive",
      terminal: true,
      fallbackStep: 0,
      cacheHit: false,
    });
    expect(served.parts.reranker).toBeNull();
    expect(served.fallbacks).toEqual([
      "embedder: served by step 2 (ollama llama3.2:3b)",
    ]);
    expect(served.costUsd).toBeCloseTo(0.0003, 10);
    expect(served.cacheHits).toBe(1);
  });
});
