import { describe, expect, it } from "vitest";

/** The shapes of the browser modules under test (plain JS, loaded as the page loads them). */
interface UploadProgressModule {
  acceptedTypes(accept: string | null): string[];
  uploadProblem(
    files: Array<{ name: string; size: number }>,
    types: string[]
  ): string | undefined;
  jobProgress(
    previous: number,
    event: { stage?: string; file?: string; done?: number; total?: number; unit?: string; position?: number }
  ): { fraction: number; stage: string; label: string };
}
interface DocumentListModule {
  repeatedNames(documents: Array<{ name?: string }>): Set<string>;
  documentLabel(
    doc: { id?: string; name?: string; title?: string; folder?: string },
    repeated: Set<string>
  ): { name: string; detail: string };
}

const uploads = (await import(
  new URL("../public/upload-progress.js", import.meta.url).href
)) as UploadProgressModule;
const documents = (await import(
  new URL("../public/document-list.js", import.meta.url).href
)) as DocumentListModule;

describe("upload checks (the same for the file picker and a drop)", () => {
  const types = uploads.acceptedTypes(".pdf,.md,.markdown,.html,.htm,.txt");

  it("reads the accepted types from the input’s accept attribute", () => {
    expect(types).toEqual([
      ".pdf",
      ".md",
      ".markdown",
      ".html",
      ".htm",
      ".txt",
    ]);
    expect(uploads.acceptedTypes(null)).toEqual([]);
  });

  it("refuses nothing chosen, an unsupported type and an empty file (or a dropped folder), naming the file", () => {
    expect(uploads.uploadProblem([], types)).toBe(
      "Choose one or more files first."
    );
    expect(
      uploads.uploadProblem(
        [
          { name: "guide.pdf", size: 10 },
          { name: "setup.EXE", size: 10 },
        ],
        types
      )
    ).toBe(
      "“setup.EXE” is not a supported type: upload .pdf, .md, .markdown, .html, .htm, .txt files."
    );
    expect(
      uploads.uploadProblem([{ name: "README", size: 10 }], types)
    ).toMatch(/^“README” is not a supported type/);
    expect(uploads.uploadProblem([{ name: "notes.md", size: 0 }], types)).toBe(
      "“notes.md” is empty (or a folder): upload files."
    );
    expect(
      uploads.uploadProblem(
        [
          { name: "Guide.PDF", size: 10 },
          { name: "notes.md", size: 3 },
        ],
        types
      )
    ).toBeUndefined();
  });
});

describe("an upload job’s bar", () => {
  it("moves through upload, extract and embed and is full only when the job is done", () => {
    let fraction = 0;
    const seen: string[] = [];
    for (const event of [
      { stage: "upload", file: "guide.pdf", done: 2, total: 2 },
      { stage: "extract", file: "guide.pdf", done: 1, total: 2 },
      { stage: "extract", file: "notes.md", done: 2, total: 2 },
      { stage: "embed", file: "", done: 40, total: 80 },
      { stage: "embed", file: "", done: 80, total: 80 },
    ]) {
      const next = uploads.jobProgress(fraction, event);
      expect(next.fraction).toBeGreaterThan(fraction);
      expect(next.fraction).toBeLessThan(1);
      fraction = next.fraction;
      seen.push(`${next.stage} ${next.fraction.toFixed(3)} ${next.label}`);
    }
    expect(seen).toEqual([
      "upload 0.100 Uploaded guide.pdf · 2 of 2 files…",
      "extract 0.425 Reading guide.pdf · 1 of 2 files…",
      "extract 0.750 Reading notes.md · 2 of 2 files…",
      "embed 0.860 Embedding · 40 of 80 chunks…",
      "embed 0.970 Embedding · 80 of 80 chunks…",
    ]);
  });

  it("never goes back, and takes unknown stages and counts as they come", () => {
    expect(
      uploads.jobProgress(0.5, { stage: "upload", done: 1, total: 1 }).fraction
    ).toBe(0.5);
    expect(uploads.jobProgress(0.3, { stage: "index" })).toEqual({
      fraction: 0.3,
      stage: "index",
      label: "Index…",
    });
    expect(
      uploads.jobProgress(0, {
        stage: "extract",
        file: "a.pdf",
        done: 5,
        total: 1,
      })
    ).toMatchObject({ fraction: 0.75, label: "Reading a.pdf · 1 of 1 file…" });
  });

  it("counts pages while a PDF is read, and says where a queued job waits", () => {
    expect(uploads.jobProgress(0.1, { stage: "extract", file: "big.pdf", done: 120, total: 400, unit: "page" }).label).toBe(
      "Reading big.pdf · 120 of 400 pages…",
    );
    expect(uploads.jobProgress(0.1, { stage: "queued", file: "big.pdf", position: 3 })).toEqual({
      fraction: 0.1,
      stage: "queued",
      label: "Waiting · big.pdf · 2 ahead…",
    });
    expect(uploads.jobProgress(0.1, { stage: "queued", position: 1 }).label).toBe("Waiting · next in line…");
  });
});

describe("a document’s line in the list", () => {
  it("shows “name — title” when the title says more, and the folder only where names repeat (ignoring case)", () => {
    const list = [
      { id: "a", name: "guide.pdf", title: "PLIC guide", folder: "" },
      { id: "b", name: "Guide.pdf", folder: "manuals/2024" },
      { id: "c", name: "notes.md", title: "notes.md", folder: "misc" },
      { id: "d", name: "report.html" },
    ];
    const repeated = documents.repeatedNames(list);
    expect([...repeated]).toEqual(["guide.pdf"]);
    expect(list.map((doc) => documents.documentLabel(doc, repeated))).toEqual([
      { name: "guide.pdf", detail: "PLIC guide" },
      { name: "Guide.pdf", detail: "manuals/2024/" },
      { name: "notes.md", detail: "" },
      { name: "report.html", detail: "" },
    ]);
    expect(documents.documentLabel({ id: "x1" }, new Set())).toEqual({
      name: "x1",
      detail: "",
    });
  });
});
