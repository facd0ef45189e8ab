export { cliVersion, main, runCli, type CliStreams } from './main.js';
export { askCommand, formatAnswer, resolveCliConfig, UsageError } from './commands.js';
export { ingestCommand, type IngestCommandOptions } from './ingest-command.js';
export type { EvalCommandOptions, EvalResultRow } from './eval-command.js';
export { evalCommand, evaluateQuestions, readQuestions, retrievedPages } from './eval-command.js';
export type { CrossValidation, FoldResult } from './eval-cross-validation.js';
export { demoCommand, DEMO_QUESTION } from './demo.js';
export type { CitedUnit, EvalItem, EvalSummary, Evidence, QuestionOutcome, RetrievalMetrics, RetrievedPage } from './metrics.js';
export { citationSupported, firstRelevantRank, retrievalMetrics, summarize, unitMatches } from './metrics.js';
