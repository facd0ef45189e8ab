import {
  AuthenticationError,
  BackendUnreachableError,
  BadInputError,
  InvalidResponseError,
  ModelNotFoundError,
  ServerError,
  type CallTarget,
  type RagbridgeError,
} from '@ragbridge/core-interfaces';
import { onnxFileFor } from './model-files.js';
import type { ModelLoadConfig, WorkerFailure } from './protocol.js';

/** Where the README explains pre-downloading. */
const OFFLINE_DOCS = 'see "Offline use" in the @ragbridge/adapter-transformersjs README';

/** Maps a failure reported by the worker to the ragbridge error the caller sees. */
export function errorFromWorkerFailure(failure: WorkerFailure, config: ModelLoadConfig, target: CallTarget): RagbridgeError {
  const onnxFile = onnxFileFor(config.dtype);
  const folders = failure.folders ?? [];
  const lookedIn = folders.length ? ` (looked in ${folders.join(' and ')})` : '';
  switch (failure.kind) {
    case 'model-not-found':
      if (!config.allowRemoteModels) {
        const missing = failure.missing ?? [failure.file ?? onnxFile];
        return new ModelNotFoundError({
          ...target,
          message: `Model file${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found${lookedIn}, and downloads are off (allowRemoteModels: false)`,
          hint:
            `Pre-download the model once with allowRemoteModels: true and the same cacheDir, or put config.json, ` +
            `tokenizer.json, tokenizer_config.json and ${onnxFile} in one of those folders; ${OFFLINE_DOCS}. ` +
            `If the folder holds another precision, set dtype to match its onnx/model*.onnx file.`,
        });
      }
      return new ModelNotFoundError({
        ...target,
        message: `The model or one of its files was not found on the Hugging Face Hub: ${failure.message}`,
        hint: `Check the model id, and that the repository has ${onnxFile} for dtype "${config.dtype}" (Transformers.js models keep their ONNX files under onnx/).`,
      });
    case 'model-access-denied':
      return new AuthenticationError({
        ...target,
        message: `The Hugging Face Hub refused the model download: ${failure.message}`,
        hint: 'The repository is gated or private: accept its terms on huggingface.co and set HF_TOKEN to a token that has access.',
      });
    case 'download-failed':
      return new BackendUnreachableError({
        ...target,
        message: `Downloading the model failed: ${failure.message}`,
        hint: `Check the connection to huggingface.co (or the proxy), or pre-download the model and set allowRemoteModels: false; ${OFFLINE_DOCS}.`,
      });
    case 'model-invalid':
      return new InvalidResponseError({
        ...target,
        message: `The model could not be loaded${failure.file ? ` from ${failure.file}` : ''}${lookedIn}: ${failure.message}`,
        hint: 'A file is corrupt, truncated or not a model of this kind: delete the model folder and download it again, or check the model id and dtype.',
      });
    case 'bad-input':
      return new BadInputError({ ...target, message: failure.message });
    case 'inference-failed':
    case 'cancelled':
      return new InvalidResponseError({
        ...target,
        message: `Inference failed: ${failure.message}`,
        hint: 'Check that the model suits this part (feature extraction, cross-encoder or causal language model with a chat template).',
      });
  }
}

/** The error for a worker thread that stopped without being asked to. */
export function workerCrashError(target: CallTarget, detail: string, cause?: unknown): RagbridgeError {
  return new ServerError({
    ...target,
    message: `The Transformers.js worker thread stopped unexpectedly (${detail})`,
    hint: 'The next call starts a new worker; if it keeps happening, check memory limits and the model files.',
    ...(cause !== undefined && { cause }),
  });
}
