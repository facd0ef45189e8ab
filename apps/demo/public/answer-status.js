/**
 * What the status line under an answer says about each model part, and how a source's score is
 * shown. Pure functions of the API's data (no DOM), so they are tested outside the browser.
 *
 * A part served by a later step of its chain is a fallback only when an earlier step was tried
 * and failed. When every earlier step is unavailable (`parts()` of `/api/profile`: a local model
 * that is not on disk while downloads are off), the later step is simply what this installation
 * runs: it gets a neutral note, not a fallback mark.
 */

/** The steps every chain ends in, which run no model, by the names people read. */
const TERMINAL_NAMES = {
  extractive: "extractive",
  keyword: "keyword retrieval",
  "fused-order": "fused order",
};

/**
 * @typedef {{ backend?: string, model?: string, terminal?: boolean, fallbackStep?: number, cacheHit?: boolean }} ServedPart
 * @typedef {{ backend?: string, model?: string, unavailable?: string }} ChainStep
 * @typedef {{ part: string, label: string, off?: boolean, note?: string, fallbackStep?: number, cacheHit?: boolean }} PartStatus
 */

/** @param {ServedPart} served */
function isTerminal(served) {
  return (
    served.terminal === true ||
    Object.hasOwn(TERMINAL_NAMES, served.backend ?? "")
  );
}

/**
 * How the status line shows one part: its label, and either a neutral `note` (the steps before
 * the one that served are not installed) or `fallbackStep` (1-based step that served after a
 * failure). `chain` is the part's steps from `/api/profile`; without it, a later step is a fallback.
 * @param {string} part `answer`, `embedder` or `reranker`
 * @param {ServedPart | null | undefined} served the part in the answer's `meta` event
 * @param {ChainStep[] | undefined} chain
 * @returns {PartStatus}
 */
export function partStatus(part, served, chain) {
  if (!served) return { part, label: "not used", off: true };
  const backend = served.backend ?? "unknown";
  const terminal = isTerminal(served);
  const label = terminal
    ? TERMINAL_NAMES[backend] ?? backend
    : served.model && served.model !== backend
    ? `${backend} (${served.model})`
    : backend;
  const step =
    typeof served.fallbackStep === "number" && served.fallbackStep > 0
      ? served.fallbackStep
      : 0;
  const cacheHit = served.cacheHit === true;
  if (step === 0) return { part, label, cacheHit };
  const before = Array.isArray(chain) ? chain.slice(0, step) : [];
  if (
    before.length === step &&
    before.every((s) => typeof s?.unavailable === "string")
  ) {
    const missing = terminal
      ? `no ${part} model on disk`
      : `${before.map((s) => s.model ?? s.backend).join(", ")} not on disk`;
    return { part, label, note: missing, cacheHit };
  }
  return { part, label, fallbackStep: step + 1, cacheHit };
}

/**
 * Whether telling a fallback from a missing model needs the parts' chains: some part was served
 * by a step past its first.
 * @param {{ parts?: Record<string, ServedPart | null> }} meta
 */
export function needsChains(meta) {
  return Object.values(meta?.parts ?? {}).some(
    (p) => typeof p?.fallbackStep === "number" && p.fallbackStep > 0
  );
}

/**
 * The status of every part of an answer, in pipeline-reading order (answer first).
 * @param {{ parts?: Record<string, ServedPart | null> }} meta
 * @param {Array<{ part: string, steps?: ChainStep[] }>} [chains] `parts` of `/api/profile`
 * @returns {PartStatus[]}
 */
export function partStatuses(meta, chains = []) {
  const parts = meta?.parts && typeof meta.parts === "object" ? meta.parts : {};
  const names = [
    ...new Set(["answer", "embedder", "reranker", ...Object.keys(parts)]),
  ];
  return names.map((name) =>
    partStatus(name, parts[name], chains.find((c) => c?.part === name)?.steps)
  );
}

/**
 * Whether a reranker model scored the hits: the reranker part was served by a model step. The
 * `fused-order` step also hands out scores, but they only keep the fused order.
 * @param {{ parts?: Record<string, ServedPart | null> }} meta
 */
export function reranked(meta) {
  const served = meta?.parts?.reranker;
  return Boolean(served) && !isTerminal(/** @type {ServedPart} */ (served));
}

/**
 * How a source's score is shown: the reranker's score (already in [0, 1]) when a reranker model
 * scored the hits, else the fused retrieval score scaled to the best of the list.
 * @param {{ score?: number, rerankScore?: number }} source
 * @param {number} best the highest fused score of the list
 * @param {boolean} byReranker whether a reranker model scored the hits (see {@link reranked})
 * @returns {{ kind: 'rerank' | 'score' | 'none', fraction: number, text: string }}
 */
export function scoreView(source, best, byReranker) {
  if (byReranker && typeof source.rerankScore === "number") {
    return {
      kind: "rerank",
      fraction: source.rerankScore,
      text: `rerank ${source.rerankScore.toFixed(2)}`,
    };
  }
  if (typeof source.score !== "number")
    return { kind: "none", fraction: 0, text: "" };
  return {
    kind: "score",
    fraction: best > 0 ? source.score / best : 0,
    text: `score ${source.score.toFixed(3)}`,
  };
}
