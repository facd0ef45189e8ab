import type { RagbridgeConfig } from '@ragbridge/config-profiles';
import type { RetrieverOptions } from '@ragbridge/pipeline';
import { defined } from './internal/defined.js';

/** The retriever settings a profile's `retrieval:` section gives (candidate counts, signal weights, vocabulary, edition weight). */
export type ConfiguredRetrieverOptions = Pick<
  RetrieverOptions,
  'candidates' | 'rerankCandidates' | 'signals' | 'editionTermWeight' | 'vocabulary'
>;

/**
 * Maps a profile's `retrieval:` section to retriever options. The runtime's pipeline and anything
 * that ranks beside it (the CLI's calibration) use this one mapping, so they rank alike.
 */
export function retrieverOptionsFromConfig(retrieval: RagbridgeConfig['retrieval']): ConfiguredRetrieverOptions {
  const { candidates, rerankCandidates, signals, editionTermWeight, vocabulary } = retrieval;
  return defined({ candidates, rerankCandidates, signals, editionTermWeight, vocabulary });
}
