export { main } from './main.js';
export { askCommand, evalCommand, formatAnswer, ingestCommand, retrievedPages, UsageError } from './commands.js';
export { demoCommand, DEMO_QUESTION } from './demo.js';
export type { EvalItem, Evidence, RetrievalMetrics, RetrievedPage } from './metrics.js';
export { firstRelevantRank, retrievalMetrics } from './metrics.js';
