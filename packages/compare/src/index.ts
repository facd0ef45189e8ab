export type {
  CompareEvidence,
  CompareHit,
  CompareOperationLatency,
  CompareOptions,
  CompareProgress,
  CompareQualityGroup,
  CompareQuestion,
  CompareQuestionResult,
  CompareReport,
  CompareSide,
  CompareSideInfo,
  CompareSidePerformance,
  CompareSideQuality,
  CompareSideResult,
  CompareThresholds,
  CompareUsage,
  CompareVerdict,
  ReindexOptions,
  ReindexPlan,
  ReindexResult,
} from './compare-types.js';
export { compareProfiles } from './compare-profiles.js';
export { COMPARE_THRESHOLDS } from './compare-verdicts.js';
export { renderCharts } from './compare-charts.js';
export { renderMarkdown } from './compare-markdown.js';
export { applyReindex, reindexPlan } from './compare-reindex.js';
