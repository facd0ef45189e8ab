import { readFile } from "node:fs/promises";
import type { Chunk, SourceDocument } from "@ragbridge/core-interfaces";
import { extractDocument } from "@ragbridge/pipeline";

/** One block of a document's text as the viewer shows it. */
export interface TextViewBlock {
  kind: "heading" | "paragraph" | "table" | "code";
  text: string;
  /** Heading depth, 1 = top level. */
  level?: number;
  /** On a heading: the anchor citations of its section point at. */
  anchor?: string;
}

/** A document's text for the viewer, with its sections. */
export interface TextView {
  /** `file`: extracted again from the original file; `chunks`: rebuilt from the stored passages (the file is gone). */
  from: "file" | "chunks";
  blocks: TextViewBlock[];
}

/**
 * The text of a document without pages (HTML, Markdown, text) as structured blocks: headings with
 * the anchors its citations use, paragraphs, tables and code. It is extracted from the original
 * file by the extractor that indexed it, so anchors match; the file's markup is never sent (an
 * uploaded page could carry scripts). Without the file, the stored chunks are grouped by section.
 */
export async function documentTextView(
  doc: SourceDocument,
  file: string | undefined,
  chunks: () => Promise<Chunk[]>
): Promise<TextView> {
  if (file) {
    try {
      const extracted = await extractDocument(
        await readFile(file),
        doc.mediaType
      );
      const blocks = extracted.pages.flatMap((page) =>
        page.blocks.map(
          (b): TextViewBlock =>
            b.kind === "heading"
              ? {
                  kind: "heading",
                  text: b.text,
                  level: b.level ?? 1,
                  ...(b.anchor && { anchor: b.anchor }),
                }
              : { kind: b.kind, text: b.text }
        )
      );
      return { from: "file", blocks };
    } catch {
      // The file changed into something unreadable since it was indexed: fall back to what the index holds.
    }
  }
  return { from: "chunks", blocks: blocksFromChunks(await chunks()) };
}

function blocksFromChunks(chunks: readonly Chunk[]): TextViewBlock[] {
  const blocks: TextViewBlock[] = [];
  let current: string | undefined;
  for (const chunk of chunks) {
    const key = chunk.section
      ? `${chunk.section.anchor ?? ""}\u0000${chunk.section.title}`
      : undefined;
    if (chunk.section && key !== current) {
      blocks.push({
        kind: "heading",
        text: chunk.section.title,
        level: Math.max(1, chunk.sectionPath.length),
        ...(chunk.section.anchor && { anchor: chunk.section.anchor }),
      });
    }
    current = key;
    blocks.push({ kind: "paragraph", text: chunk.text });
  }
  return blocks;
}
