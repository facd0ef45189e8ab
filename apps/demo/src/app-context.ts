import { resolve, sep } from 'node:path';
import type { SourceDocument } from '@ragbridge/core-interfaces';
import type { Runtime } from '@ragbridge/runtime';
import type { MiddlewareHandler } from 'hono';
import { clientIdentifier, createGate, rateLimit, requireAdmin } from './guards.js';
import { JobRegistry } from './jobs.js';
import type { AppSettings } from './settings.js';

/** What the app is built from: the composed runtime and the app settings. */
export interface AppDependencies {
  runtime: Runtime;
  settings: AppSettings;
  /** Static files of the web UI. */
  publicDir: string;
  /** pdf.js's browser build (`pdfjs-dist/build`), served at /vendor/pdfjs/. */
  pdfjsDir: string;
  /** Folders whose files may be served back to the viewer besides the upload folder (the sample corpus). */
  servableRoots?: string[];
}

/** Document names, and which documents have pages (PDFs are cited by page, the rest by section). */
export interface DocumentLookup {
  name: (id: string) => string;
  paged: (id: string) => boolean;
}

/** What the route modules share: the runtime, the settings, and the guards and registries of one app. */
export interface AppContext {
  deps: AppDependencies;
  runtime: Runtime;
  settings: AppSettings;
  /** Answer slots shared by the UI's questions and the OpenAI-compatible endpoint: take one only after the request is validated, release it in `finally`. */
  answers: ReturnType<typeof createGate>;
  /** Per-client rate limit of the API. */
  limited: MiddlewareHandler;
  /** Admin-token check of the routes that change or delete. */
  admin: MiddlewareHandler;
  /** Upload progress streams. */
  jobs: JobRegistry;
  /** Folders whose files may be served back (uploads, the sample corpus). */
  roots: string[];
  documentLookup(): Promise<DocumentLookup>;
}

/** Builds the context of one app. */
export function createAppContext(deps: AppDependencies): AppContext {
  const { runtime, settings } = deps;
  const store = runtime.pipeline.store;
  // Read once per store revision, not per question (thousands of documents on a shared database).
  let lookup: { revision: string; documents: Promise<DocumentLookup> } | undefined;
  return {
    deps,
    runtime,
    settings,
    answers: createGate(settings.maxConcurrentRequests, 200, settings.requestTimeoutMs),
    limited: rateLimit(settings.rateLimitPerMinute, clientIdentifier(settings.trustProxy ?? false)),
    admin: requireAdmin(settings.adminToken),
    jobs: new JobRegistry(),
    roots: [settings.uploadDir, ...(deps.servableRoots ?? [])],
    async documentLookup() {
      const revision = await store.revision();
      if (lookup?.revision !== revision) {
        const documents = store.listDocuments().then((list): DocumentLookup => {
          const docs = new Map(list.map((d) => [d.id, d]));
          return { name: (id) => docs.get(id)?.name ?? 'document', paged: (id) => docs.get(id)?.mediaType === 'application/pdf' };
        });
        lookup = { revision, documents };
        // A failed read is not kept: the next question reads again.
        documents.catch(() => {
          if (lookup?.documents === documents) lookup = undefined;
        });
      }
      return lookup.documents;
    },
  };
}

/** Whether a path lies inside a root folder (after resolving `..`). */
export function inside(root: string, path: string): boolean {
  const r = resolve(root);
  const p = resolve(path);
  return p === r || p.startsWith(r + sep);
}

/** A document as the API shows it. */
export function documentView(d: Pick<SourceDocument, 'id' | 'name' | 'pageCount' | 'byteSize' | 'mediaType' | 'ingestedAt' | 'title'>) {
  return {
    id: d.id,
    name: d.name,
    ...(d.title && { title: d.title }),
    pages: d.pageCount,
    bytes: d.byteSize,
    mediaType: d.mediaType,
    ingestedAt: d.ingestedAt,
  };
}
