import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { EvalItem, Evidence } from './metrics.js';

/** A stored document of the evaluation corpus, as the store lists it. */
export interface CorpusDocument {
  id: string;
  /** The file's base name. */
  name: string;
  /** The file's absolute path. */
  source: string;
}

/** An evidence name that several documents of the corpus share, and those documents. */
export interface AmbiguousEvidence {
  doc: string;
  /** The documents' paths relative to the corpus folder. */
  candidates: string[];
}

/** Evidence matched to the documents of the corpus. */
export interface EvidenceResolution {
  /** The questions, each evidence naming a document by its key (one entry per matching document). */
  items: EvalItem[];
  /** Evidence names that match no document. */
  unknown: string[];
  /** Base names several documents share, given without a folder: they count as any of those documents. */
  ambiguous: AmbiguousEvidence[];
}

/**
 * How eval names each document (in its results and when matching evidence): the path relative to
 * the corpus folder, `/`-separated (`alpha/README.md`); the base name for a corpus that is one file,
 * or a document outside the folder.
 */
export function corpusDocumentKeys(documents: readonly CorpusDocument[], corpus: string): Map<string, string> {
  const root = resolve(corpus);
  return new Map(
    documents.map((d) => {
      const rel = relative(root, d.source);
      const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
      return [d.id, inside ? rel.split(sep).join('/') : d.name];
    }),
  );
}

/**
 * The keys of the documents an evidence name means, first rule that matches: the path relative to
 * the corpus folder, the file's own path (absolute or relative to `cwd`), then the base name (which
 * several documents in different folders may share).
 */
function documentsNamed(
  doc: string,
  documents: readonly CorpusDocument[],
  keys: ReadonlyMap<string, string>,
  cwd: string,
): string[] {
  const path = doc.replace(/\\/g, '/').replace(/^\.\//, '');
  const keyOf = (d: CorpusDocument): string => keys.get(d.id) ?? d.name;
  const byKey = documents.filter((d) => keyOf(d) === path);
  if (byKey.length > 0) return byKey.map(keyOf);
  const bySource = documents.filter((d) => resolve(d.source) === resolve(cwd, doc));
  if (bySource.length > 0) return bySource.map(keyOf);
  return documents.filter((d) => d.name === doc).map(keyOf);
}

/**
 * Matches every question's evidence to the documents of the corpus (see {@link documentsNamed}).
 * Evidence whose base name several documents share counts as any of them; evidence that matches
 * none is kept as written (it can never match) and listed in `unknown`.
 */
export function resolveEvidence(
  items: readonly EvalItem[],
  documents: readonly CorpusDocument[],
  keys: ReadonlyMap<string, string>,
  cwd = process.cwd(),
): EvidenceResolution {
  const matches = new Map<string, string[]>();
  const named = (doc: string): string[] => {
    let found = matches.get(doc);
    if (!found) {
      found = documentsNamed(doc, documents, keys, cwd);
      matches.set(doc, found);
    }
    return found;
  };
  const expand = (e: Evidence): Evidence[] => {
    const found = named(e.doc);
    return found.length === 0 ? [e] : found.map((doc) => ({ ...e, doc }));
  };
  const resolved = items.map((item) =>
    item.evidence === undefined ? item : { ...item, evidence: item.evidence.flatMap(expand) },
  );
  const all = [...matches.entries()];
  return {
    items: resolved,
    unknown: all.filter(([, found]) => found.length === 0).map(([doc]) => doc),
    ambiguous: all
      .filter(([, found]) => found.length > 1)
      .map(([doc, candidates]) => ({ doc, candidates: [...candidates].sort() })),
  };
}
