export { main } from './main.js';
export { askCommand, formatAnswer, ingestCommand, UsageError } from './commands.js';
export { evalCommand, retrievedPages } from './eval-command.js';
export { demoCommand, DEMO_QUESTION } from './demo.js';
export type { EvalItem, Evidence, RetrievalMetrics, RetrievedPage } from './metrics.js';
export { firstRelevantRank, retrievalMetrics } from './metrics.js';
