import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { init } from '@embedpdf/pdfium';

/**
 * The PDFium C functions extraction calls, taken straight from the WebAssembly exports (the
 * package's `cwrap` wrappers add argument conversion to every call, and extraction makes several
 * calls per character). Pointers are offsets into the module's memory; `FPDF_BOOL` results are 0 or 1.
 */
export interface PdfiumExports {
  FPDF_LoadMemDocument(data: number, size: number, password: number): number;
  FPDF_CloseDocument(doc: number): void;
  FPDF_GetLastError(): number;
  FPDF_GetPageCount(doc: number): number;
  FPDF_LoadPage(doc: number, index: number): number;
  FPDF_ClosePage(page: number): void;
  FPDF_GetPageBoundingBox(page: number, rect: number): number;
  FPDF_GetPageLabel(doc: number, index: number, buffer: number, length: number): number;
  FPDF_GetMetaText(doc: number, tag: number, buffer: number, length: number): number;
  FPDFPage_GetRotation(page: number): number;
  FPDFPage_CountObjects(page: number): number;
  FPDFPage_GetObject(page: number, index: number): number;
  FPDFPageObj_GetType(object: number): number;
  FPDFFormObj_CountObjects(form: number): number;
  FPDFFormObj_GetObject(form: number, index: number): number;
  FPDFText_LoadPage(page: number): number;
  FPDFText_ClosePage(textPage: number): void;
  FPDFText_CountChars(textPage: number): number;
  FPDFText_GetUnicode(textPage: number, index: number): number;
  FPDFText_HasUnicodeMapError(textPage: number, index: number): number;
  FPDFText_GetTextObject(textPage: number, index: number): number;
  FPDFText_GetFontSize(textPage: number, index: number): number;
  FPDFText_GetMatrix(textPage: number, index: number, matrix: number): number;
  FPDFText_GetLooseCharBox(textPage: number, index: number, rect: number): number;
  FPDFBookmark_GetFirstChild(doc: number, bookmark: number): number;
  FPDFBookmark_GetNextSibling(doc: number, bookmark: number): number;
  FPDFBookmark_GetTitle(bookmark: number, buffer: number, length: number): number;
  FPDFBookmark_GetDest(doc: number, bookmark: number): number;
  FPDFBookmark_GetAction(bookmark: number): number;
  FPDFAction_GetDest(doc: number, action: number): number;
  FPDFDest_GetDestPageIndex(doc: number, dest: number): number;
  PDFiumExt_Init(): void;
}

/** One PDFium instance (a WebAssembly module with its own memory), bound to the thread that loaded it. */
export interface PdfiumRuntime {
  readonly exports: PdfiumExports;
  malloc(size: number): number;
  free(pointer: number): void;
  /** Views of the module's memory; take them again after any call that may allocate (memory can grow). */
  heapU8(): Uint8Array;
  heapF32(): Float32Array;
  /** Bytes of memory the module holds (it grows and never shrinks). */
  memoryBytes(): number;
}

/** `FPDF_GetLastError` codes. */
export const PDFIUM_ERROR = {
  unknown: 1,
  file: 2,
  format: 3,
  password: 4,
  security: 5,
  page: 6,
} as const;

/** A module whose memory grew past this is dropped after the document, so one huge PDF does not hold memory for the thread's life. */
const MAX_RETAINED_MEMORY_BYTES = 192 * 1024 * 1024;

interface EmscriptenPdfium {
  wasmExports: unknown;
  _malloc(size: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
}

/** A compiled WebAssembly module: one compilation serves every thread it is posted to. */
export type PdfiumWasmModule = object;

/** The parts of the WebAssembly global that loading uses (the TypeScript setup here has no DOM types). */
interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<PdfiumWasmModule>;
  instantiate(module: PdfiumWasmModule, imports: object): Promise<object>;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let compiled: Promise<PdfiumWasmModule> | undefined;
let loading: Promise<PdfiumRuntime> | undefined;

/**
 * PDFium's WebAssembly module compiled once for this thread, or the one handed over by
 * {@link usePdfiumModule}. Extraction workers get the pool's module, so they share its machine
 * code (and its optimisation) instead of each compiling and holding their own.
 */
export function compilePdfiumModule(): Promise<PdfiumWasmModule> {
  compiled ??= (async () => {
    const path = createRequire(import.meta.url).resolve('@embedpdf/pdfium/pdfium.wasm');
    return webAssembly.compile(await readFile(path));
  })().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return compiled;
}

/** Uses a module compiled by another thread (posted to this one) for this thread's instances. */
export function usePdfiumModule(module: PdfiumWasmModule): void {
  compiled = Promise.resolve(module);
}

async function instantiate(): Promise<PdfiumRuntime> {
  const wasmModule = await compilePdfiumModule();
  let rejectInstance: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectInstance = reject));
  const wrapped = await Promise.race([
    init({
      // Emscripten's hook for supplying the instance: from the shared module, nothing read or compiled again.
      instantiateWasm: (imports: object, receive: (instance: object, module: PdfiumWasmModule) => void) => {
        webAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule), rejectInstance);
        return {};
      },
    } as never),
    failed,
  ]);
  const module = wrapped.pdfium as unknown as EmscriptenPdfium;
  const exports = module.wasmExports as PdfiumExports;
  exports.PDFiumExt_Init();
  return {
    exports,
    malloc: (size) => {
      const pointer = module._malloc(size);
      if (pointer === 0) throw new Error(`PDFium could not allocate ${size} bytes`);
      return pointer;
    },
    free: (pointer) => module._free(pointer),
    heapU8: () => module.HEAPU8,
    heapF32: () => module.HEAPF32,
    memoryBytes: () => module.HEAPU8.byteLength,
  };
}

/** This thread's PDFium instance, loaded on first use (about 80 ms). */
export function loadPdfium(): Promise<PdfiumRuntime> {
  loading ??= instantiate().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/**
 * Forgets this thread's instance so the next call loads a fresh one: after a WebAssembly trap
 * (the instance's state can no longer be trusted), or when its memory grew large.
 */
export function discardPdfium(): void {
  loading = undefined;
}

/** Drops the instance when one document made its memory grow past what is worth keeping. */
export function releaseLargePdfium(runtime: PdfiumRuntime): void {
  if (runtime.memoryBytes() > MAX_RETAINED_MEMORY_BYTES) discardPdfium();
}

const utf16 = new TextDecoder('utf-16le');

/**
 * Reads a UTF-16LE string from a PDFium getter that takes `(buffer, length)` and returns the
 * bytes it needs including the terminator (the FPDF_GetMetaText / FPDF_GetPageLabel convention).
 */
export function readPdfiumString(runtime: PdfiumRuntime, get: (buffer: number, length: number) => number): string {
  const needed = get(0, 0);
  if (needed <= 2) return '';
  const buffer = runtime.malloc(needed);
  try {
    const written = Math.min(get(buffer, needed), needed);
    const bytes = runtime.heapU8().subarray(buffer, buffer + Math.max(0, written - 2));
    return utf16.decode(bytes);
  } finally {
    runtime.free(buffer);
  }
}

/** Copies a NUL-terminated UTF-8 string into the module's memory; free it with `runtime.free`. */
export function writePdfiumCString(runtime: PdfiumRuntime, text: string): number {
  const bytes = new TextEncoder().encode(`${text}\0`);
  const pointer = runtime.malloc(bytes.length);
  runtime.heapU8().set(bytes, pointer);
  return pointer;
}
