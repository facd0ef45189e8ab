/**
 * Upload checks and job progress for the Documents tab. Pure functions (no DOM, no requests), so
 * they are tested outside the browser.
 */

/**
 * The file types the upload accepts, from the file input's `accept` attribute (the one place the
 * page lists them): `".pdf,.md"` → `['.pdf', '.md']`.
 * @param {string | null | undefined} accept
 * @returns {string[]}
 */
export function acceptedTypes(accept) {
  return String(accept ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.startsWith("."));
}

/**
 * Why these files cannot be uploaded, or undefined when they can: the same check and words for
 * files chosen with the picker and files dropped on the page. The server checks again (size,
 * content); its refusals are shown as they come.
 * @param {ArrayLike<{ name: string, size: number }>} files
 * @param {string[]} types accepted extensions, see {@link acceptedTypes}
 * @returns {string | undefined}
 */
export function uploadProblem(files, types) {
  const list = Array.from(files ?? []);
  if (list.length === 0) return "Choose one or more files first.";
  for (const file of list) {
    const name = String(file.name ?? "");
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 ? name.slice(dot).toLowerCase() : "";
    if (types.length > 0 && !types.includes(ext))
      return `“${name}” is not a supported type: upload ${types.join(
        ", "
      )} files.`;
    if (file.size === 0)
      return `“${name}” is empty (or a folder): upload files.`;
  }
  return undefined;
}

/**
 * Where each stage the server reports lies on the job's bar, as fractions of the whole job. The
 * bar reaches 1 only with the job's `done` event: stored is not yet searchable.
 */
const STAGE_SPANS = {
  upload: [0, 0.1],
  extract: [0.1, 0.75],
  embed: [0.75, 0.97],
};

/** Each stage as the job's status line names it. */
export const STAGE_LABELS = {
  upload: "Uploaded",
  extract: "Reading",
  embed: "Embedding",
  done: "Done",
};

/**
 * The job's bar and status after a `progress` event `{ stage, file, done, total }`: the fraction
 * of the whole job (never below the last one, never 1 before `done`), the stage, and a line such as
 * `Reading guide.pdf · 1 of 2 files…`.
 * @param {number} previous the bar's fraction so far
 * @param {{ stage?: string, file?: string, done?: number, total?: number, unit?: string, position?: number }} event
 * @returns {{ fraction: number, stage: string, label: string }}
 */
export function jobProgress(previous, event) {
  const stage = typeof event?.stage === "string" ? event.stage : "working";
  const total =
    typeof event?.total === "number" && event.total > 0 ? event.total : 0;
  const done =
    typeof event?.done === "number"
      ? Math.min(Math.max(event.done, 0), total)
      : 0;
  const span = STAGE_SPANS[stage];
  const within = span
    ? span[0] + (span[1] - span[0]) * (total > 0 ? done / total : 0)
    : previous;
  const fraction = Math.min(STAGE_SPANS.embed[1], Math.max(previous, within));
  if (stage === "queued") {
    // In the ingest queue: position 1 is next.
    const position = typeof event?.position === "number" ? event.position : 0;
    const ahead = position > 1 ? `${position - 1} ahead` : "next in line";
    return { fraction: previous, stage, label: `Waiting${event?.file ? ` · ${event.file}` : ""} · ${ahead}…` };
  }
  const name =
    STAGE_LABELS[stage] ?? `${stage.charAt(0).toUpperCase()}${stage.slice(1)}`;
  // The server says what it counts: pages while a PDF is read, then files; chunks while embedding.
  const unit = ["file", "page", "chunk"].includes(event?.unit) ? event.unit : stage === "embed" ? "chunk" : "file";
  const count =
    total > 0
      ? ` · ${done} of ${total} ${total === 1 ? unit : `${unit}s`}`
      : "";
  return {
    fraction,
    stage,
    label: `${name}${event?.file ? ` ${event.file}` : ""}${count}…`,
  };
}
