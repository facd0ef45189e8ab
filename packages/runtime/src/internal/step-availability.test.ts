import { ModelNotFoundError, RagbridgeError } from "@ragbridge/core-interfaces";
import { createMockReranker } from "@ragbridge/core-interfaces/testing";
import {
  createFallbackReranker,
  createResilienceRegistry,
} from "@ragbridge/resilience";
import { describe, expect, it } from "vitest";
import { createFusedOrderReranker } from "../terminal-steps.js";
import {
  gateReranker,
  isStepUnavailable,
  NOT_ON_DISK,
  StepAvailability,
  UNAVAILABLE_STEP_BREAKER,
} from "./step-availability.js";

const target = { backend: "transformersjs", modelId: "some/reranker" };

/** A step whose model is on disk or not, as the test says; each check counted. */
function switchableModel(): {
  onDisk: boolean;
  checks: number;
  prepare(): Promise<void>;
} {
  const state = {
    onDisk: false,
    checks: 0,
    async prepare() {
      state.checks++;
      if (!state.onDisk)
        throw new ModelNotFoundError({
          ...target,
          message: "missing onnx/model_quantized.onnx",
        });
    },
  };
  return state;
}

/** A chain like the runtime's: the gated model step (a breaker that opens after 2 failures), then fused-order. */
function chainOf(
  step: ReturnType<typeof createMockReranker>,
  availability: StepAvailability
) {
  const registry = createResilienceRegistry({
    breaker: { minimumCalls: 2, failureRateThreshold: 0.5 },
  });
  const chain = createFallbackReranker(
    [
      {
        model: gateReranker(step, availability),
        local: true,
        retry: false,
        key: "model",
        breaker: UNAVAILABLE_STEP_BREAKER,
      },
      {
        model: createFusedOrderReranker(),
        local: true,
        retry: false,
        breaker: false,
        key: "fused-order",
      },
    ],
    { registry, retry: false }
  );
  return { chain, breaker: () => registry.breaker("model").state };
}

describe("a step whose model may not be installed", () => {
  it("is passed over without a call while its model is missing, keeps its breaker closed, and serves once the model is in place", async () => {
    const model = switchableModel();
    const availability = new StepAvailability(() => model.prepare());
    const step = createMockReranker(target);
    const { chain, breaker } = chainOf(step, availability);
    expect(availability.unavailable).toBeUndefined();

    for (let i = 0; i < 5; i++) {
      const result = await chain.rerank({
        query: "registers",
        texts: ["a", "b"],
      });
      expect(result.usage).toMatchObject({
        backend: "fused-order",
        fallbackStep: 1,
      });
    }
    expect(step.requests).toEqual([]);
    expect(model.checks).toBe(5);
    expect(availability.unavailable).toBe(NOT_ON_DISK);
    expect(breaker()).toBe("closed");

    model.onDisk = true;
    const result = await chain.rerank({
      query: "registers",
      texts: ["a", "b"],
    });
    expect(result.usage).toMatchObject({
      backend: "transformersjs",
      fallbackStep: 0,
    });
    expect(step.requests).toHaveLength(1);
    expect(availability.unavailable).toBeUndefined();
  });

  it("a model that is there but fails is called, fails as an error and counts against its breaker", async () => {
    const availability = new StepAvailability(async () => undefined);
    const step = createMockReranker(target);
    step.faults.inject("server-error");
    const { chain, breaker } = chainOf(step, availability);
    for (let i = 0; i < 2; i++)
      expect(
        (await chain.rerank({ query: "q", texts: ["a"] })).usage.backend
      ).toBe("fused-order");
    expect(step.requests).toHaveLength(2);
    expect(availability.unavailable).toBeUndefined();
    expect(breaker()).toBe("open");
  });

  it("a check that fails otherwise (a model that does not load) lets the call run, so it is reported as the call’s error", async () => {
    const broken = new RagbridgeError({
      ...target,
      message: "the ONNX file is corrupt",
    });
    const availability = new StepAvailability(async () =>
      Promise.reject(broken)
    );
    await expect(availability.check()).resolves.toBeUndefined();
    expect(availability.unavailable).toBeUndefined();
    expect(isStepUnavailable(broken)).toBe(false);

    const missing = switchableModel();
    const gone = new StepAvailability(() => missing.prepare());
    const error = await gone.check().catch((e: unknown) => e);
    expect(ModelNotFoundError.isInstance(error)).toBe(true);
    expect(isStepUnavailable(error)).toBe(true);
    expect(isStepUnavailable(new ModelNotFoundError(target))).toBe(false);
  });
});
