/** A Transformers.js weight precision; it selects the file `onnx/model{suffix}.onnx`. */
export type TransformersDtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

/** Which kind of model a worker hosts. */
export type TransformersModelTask = 'feature-extraction' | 'cross-encoder' | 'text-generation';

/** One file of a loaded model, as found on disk. */
export interface TransformersModelFile {
  /** Path inside the model folder, e.g. `onnx/model_quantized.onnx`. */
  file: string;
  /** Absolute path it was read from (the local model folder or the download cache). */
  path: string;
  bytes: number;
}

/**
 * What a loaded model costs, measured in its worker thread around loading. Memory figures are
 * deltas of the whole process (the native ONNX Runtime allocations show only in RSS), so treat
 * them as estimates, most precise when models load one after another.
 */
export interface TransformersModelInfo {
  /** The model id or folder as configured. */
  modelId: string;
  task: TransformersModelTask;
  dtype: TransformersDtype;
  /** Milliseconds from the start of loading to a ready model (file reads, session creation). */
  loadMs: number;
  /** The files the model was loaded from. */
  files: TransformersModelFile[];
  /** Sum of the file sizes: what the model takes on disk. */
  fileBytes: number;
  /** Growth of the process resident set size while the model loaded: what it takes in memory. */
  rssDeltaBytes: number;
  /**
   * JavaScript heap used by the model's worker thread once loaded (Transformers.js itself, the
   * tokenizer vocabulary, configs); every model has its own worker.
   */
  workerHeapBytes: number;
  /** Tokens kept per input (longer inputs are truncated, or rejected for chat), when the model says. */
  maxInputTokens: number | undefined;
  /** Vector length (embedders only). */
  dimensions: number | undefined;
}

/** What every Transformers.js adapter adds to its contract: eager loading, the memory report, cleanup. */
export interface TransformersModelControls {
  /**
   * Loads the model now (downloading it first when allowed) instead of at the first call, e.g. at
   * server start or to pre-download it; resolves with what it cost. Loading happens once per
   * process for adapters with the same model options.
   */
  load(options?: { abortSignal?: AbortSignal }): Promise<TransformersModelInfo>;
  /** Files and memory of the loaded model; undefined until it has loaded. */
  getLoadedModelInfo(): TransformersModelInfo | undefined;
  /**
   * Stops the model's worker thread once no other adapter with the same model options uses it.
   * Not needed for the process to exit (idle workers do not keep it alive); a later call loads
   * the model again.
   */
  dispose(): Promise<void>;
}
