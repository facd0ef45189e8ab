import {
  delegateChatModel,
  delegateEmbedder,
  delegateReranker,
  ModelNotFoundError,
  type ChatModelV1,
  type EmbedderV1,
  type RerankerV1,
} from "@ragbridge/core-interfaces";
import {
  countsAsBackendFailure,
  type CircuitBreakerSettings,
} from "@ragbridge/resilience";

/** Errors that said a step cannot run here, as opposed to a call that failed. */
const unavailableErrors = new WeakSet<object>();

/** Whether `error` came from a step that cannot run on this machine (see {@link StepAvailability}). */
export function isStepUnavailable(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && unavailableErrors.has(error)
  );
}

/**
 * Breaker settings of a step that may be unavailable: not being installed says nothing about a
 * backend's health, so it neither opens the circuit nor keeps it open.
 */
export const UNAVAILABLE_STEP_BREAKER: CircuitBreakerSettings = {
  isFailure: (error) =>
    !isStepUnavailable(error) && countsAsBackendFailure(error),
};

/** Why a step with downloads off cannot run: the one reason there is so far. */
export const NOT_ON_DISK = "model files not on disk, and downloads are off";

/**
 * Whether one chain step can run on this machine as configured. A local model that may not be
 * downloaded and is not on disk (Transformers.js with downloads off) cannot: that is a fact of
 * the installation, not a failed call. Such a step is checked before each call; when its model is
 * missing the chain moves on without calling it, so the cost monitor records no call and no error,
 * and `parts()` says why.
 */
export class StepAvailability {
  private reason: string | undefined;

  /**
   * @param prepare Loads the model, or rejects with ModelNotFoundError at once when its files are missing.
   * @param why What `unavailable` says then (a fixed sentence: no folders of this machine).
   */
  constructor(
    private readonly prepare: (abortSignal?: AbortSignal) => Promise<unknown>,
    private readonly why: string = NOT_ON_DISK
  ) {}

  /** A step that can never run here (its adapter package is not installed): `unavailable` says why from the start. */
  static never(reason: string, error: () => Error): StepAvailability {
    const availability = new StepAvailability(() => Promise.reject(error()), reason);
    availability.reason = reason;
    return availability;
  }

  /** Why the step cannot run, as its last check found; undefined when it can, or before its first check. */
  get unavailable(): string | undefined {
    return this.reason;
  }

  /** Resolves when the step may be called; rejects with a ModelNotFoundError {@link isStepUnavailable} knows when it may not. */
  async check(abortSignal?: AbortSignal): Promise<void> {
    try {
      await this.prepare(abortSignal);
      this.reason = undefined;
    } catch (error) {
      if (!ModelNotFoundError.isInstance(error)) {
        // Anything else (an abort, a model that fails to load) is the call's to report: it runs,
        // and the cost monitor records how it ends.
        this.reason = undefined;
        return;
      }
      // A fixed sentence, not the error's message: that names folders of this machine, which
      // parts() (shown by the demo's profile page) should not; the runtime's log has it whole.
      this.reason = this.why;
      unavailableErrors.add(error);
      throw error;
    }
  }
}

/** `embedder`, called only after its step's availability check passed. */
export function gateEmbedder(
  embedder: EmbedderV1,
  availability: StepAvailability
): EmbedderV1 {
  return delegateEmbedder(embedder, async (call) => {
    await availability.check(call.abortSignal);
    return embedder.embed(call);
  });
}

/** `reranker`, called only after its step's availability check passed. */
export function gateReranker(
  reranker: RerankerV1,
  availability: StepAvailability
): RerankerV1 {
  return delegateReranker(reranker, async (call) => {
    await availability.check(call.abortSignal);
    return reranker.rerank(call);
  });
}

/** `model`, called only after its step's availability check passed (a stream fails before its first part). */
export function gateChatModel(
  model: ChatModelV1,
  availability: StepAvailability
): ChatModelV1 {
  return delegateChatModel(model, {
    generate: async (call) => {
      await availability.check(call.abortSignal);
      return model.generate(call);
    },
    stream: (call) => ({
      async *[Symbol.asyncIterator]() {
        await availability.check(call.abortSignal);
        yield* model.stream(call);
      },
    }),
  });
}
