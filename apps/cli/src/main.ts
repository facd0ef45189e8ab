import { parseArgs } from 'node:util';
import { askCommand, defaultStorePath, ingestCommand, UsageError } from './commands.js';
import { evalCommand } from './eval-command.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';

const USAGE = `ragbridge: question answering over technical documents, with page citations.

Usage:
  ragbridge demo [--question "<q>"]          ingest the project's own docs (and a generated PDF), answer a question
  ragbridge ingest <files or folders…> [--store FILE] [--prune] [--workers N]
  ragbridge ask "<question>" [--store FILE] [--json] [--explain] [--profile NAME]
  ragbridge eval --corpus DIR --qa FILE[,FILE…] --out FILE.json [--folds K] [--store FILE] [--profile NAME]
  ragbridge compare --profiles A,B --qa FILE [--corpus DIR] [--out DIR] [--k 10] [--fake-services]
  ragbridge compare --reindex-plan --profiles A,B [--corpus DIR] [--apply] [--fake-services]

Options:
  --store FILE     SQLite store (default .ragbridge/store.db; eval: .ragbridge/eval-<corpus>.db)
  --prune          remove stored documents whose files are gone from the given folders
  --workers N      extraction worker threads (default: one per core)
  --profile NAME   model profile: offline (default), local, hf-spaces, hybrid
  --explain        ask: show each source's retrieval signals (weight × value) and the evidence the refusal check read
  --folds K        eval: also cross-validate (weights and refusal fitted on K−1 folds, scored on the held-out one)
  --profiles A,B   compare: two built-in profiles or configuration files (.yaml/.json)
  --fake-services  compare: run the profiles against the fake Hugging Face, TEI and Ollama services
  -h, --help       this help`;

/** Runs the CLI with arguments (without `node` and the script). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      prune: { type: 'boolean' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
      explain: { type: 'boolean' },
      corpus: { type: 'string' },
      qa: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      question: { type: 'string' },
      profiles: { type: 'string' },
      folds: { type: 'string' },
      k: { type: 'string' },
      'fake-services': { type: 'boolean' },
      'reindex-plan': { type: 'boolean' },
      apply: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const store = values.store ?? defaultStorePath();
  switch (command) {
    case 'demo':
      return demoCommand(values.question !== undefined ? { question: values.question } : {});
    case 'ingest': {
      const workers = values.workers === undefined ? undefined : Number(values.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new UsageError(`--workers: expected a whole number ≥ 0, got "${values.workers}"`);
      return ingestCommand(rest, { store, ...(values.prune && { prune: true }), ...(workers !== undefined && { workers }) });
    }
    case 'ask':
      return askCommand(rest.join(' '), { store, ...(values.json && { json: true }), ...(values.explain && { explain: true }), ...(values.profile !== undefined && { profile: values.profile }) });
    case 'eval': {
      if (!values.corpus || !values.qa || !values.out) throw new UsageError('eval: --corpus DIR, --qa FILE and --out FILE.json are required');
      const folds = values.folds === undefined ? undefined : Number(values.folds);
      if (folds !== undefined && (!Number.isInteger(folds) || folds < 2)) throw new UsageError(`--folds: expected a whole number of at least 2, got "${values.folds}"`);
      return evalCommand({
        ...(folds !== undefined && { folds }),
        corpus: values.corpus,
        qa: values.qa,
        out: values.out,
        ...(values.store !== undefined && { store: values.store }),
        ...(values.profile !== undefined && { profile: values.profile }),
      });
    }
    case 'compare': {
      if (!values.profiles) throw new UsageError('compare: --profiles A,B is required, e.g. --profiles offline,hf-spaces');
      const k = values.k === undefined ? undefined : Number(values.k);
      if (k !== undefined && (!Number.isInteger(k) || k < 1 || k > 100)) throw new UsageError(`--k: expected a whole number from 1 to 100, got "${values.k}"`);
      return compareCommand({
        profiles: values.profiles,
        ...(values.qa !== undefined && { qa: values.qa }),
        ...(values.corpus !== undefined && { corpus: values.corpus }),
        ...(values.out !== undefined && { out: values.out }),
        ...(values.store !== undefined && { store: values.store }),
        ...(k !== undefined && { k }),
        ...(values['fake-services'] && { fakeServices: true }),
        ...(values['reindex-plan'] && { reindexPlan: true }),
        ...(values.apply && { apply: true }),
      });
    }
    default:
      throw new UsageError(`unknown command "${command}"; run ragbridge --help`);
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        console.error(`ragbridge: ${(error as Error).message}`);
        process.exitCode = 1;
      } else {
        console.error(`ragbridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exitCode = 1;
      }
    },
  );
}
