import type { RagbridgeConfig } from '@ragbridge/config-profiles';
import type { RetrieverOptions } from '@ragbridge/pipeline';

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
  return {
    candidates: retrieval.candidates,
    rerankCandidates: retrieval.rerankCandidates,
    ...(retrieval.signals && { signals: retrieval.signals }),
    ...(retrieval.editionTermWeight !== undefined && { editionTermWeight: retrieval.editionTermWeight }),
    ...(retrieval.vocabulary && { vocabulary: retrieval.vocabulary }),
  };
}
