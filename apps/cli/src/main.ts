import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { askCommand, UsageError } from './commands.js';
import { ingestCommand } from './ingest-command.js';
import { evalCommand } from './eval-command.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor-command.js';
import { migrateCommand } from './migrate-command.js';
import { pricesCommand } from './prices-command.js';
import { withFakeServices } from './fake-services.js';
import { startTracing } from './otel-tracing.js';

const USAGE = `ragbridge: question answering over technical documents, with page citations.

Usage:
  ragbridge demo [--question "<q>"]          ingest a sample corpus (docs and a generated PDF), answer a question
  ragbridge ingest <files or folders…> [--store FILE] [--prune] [--yes] [--workers N] [--profile NAME]
  ragbridge ask "<question>" [--store FILE] [--json] [--explain] [--profile NAME] [--fake-services]
  ragbridge eval --corpus DIR --qa FILE[,FILE…] --out FILE.json [--folds K] [--store FILE] [--profile NAME]
  ragbridge compare --profiles A,B --qa FILE [--corpus DIR] [--out DIR] [--k 10] [--fake-services]
  ragbridge compare --reindex-plan --profiles A,B [--corpus DIR] [--apply] [--fake-services]
  ragbridge doctor [--profile NAME]          the profile commands run and why, the database; calls each model step once
  ragbridge migrate [--from FILE] [--to URL] [--schema NAME] [--yes]   copy a SQLite store into PostgreSQL
  ragbridge prices update [--out DIR]        current Inference Providers prices into a dated file (prices.file)
  ragbridge help [command]                   help on one command
  ragbridge --version

Options:
  --store FILE     SQLite store (default: the configuration's PostgreSQL storage when it has one, e.g. from
                   DATABASE_URL, else .ragbridge/store.db; eval: .ragbridge/eval-<corpus>.db)
  --prune          remove stored documents whose files are gone from the given folders
  --yes, -y        ingest: embed with a paid (hosted) embedder without asking; with --prune, empty folders too
  --workers N      extraction worker threads (default: one per core)
  --profile NAME   model profile: offline, local, hf-spaces, hybrid (default: RAGBRIDGE_PROFILE, else a
                   ragbridge.yaml here, else detected: a Space, HF_TOKEN, a running Ollama, or offline)
  --explain        ask: show each source's retrieval signals (weight × value) and the evidence the refusal check read
  --folds K        eval: also cross-validate (weights and refusal fitted on K−1 folds, scored on the held-out one)
  --profiles A,B   compare: two built-in profiles or configuration files (.yaml/.json)
  --fake-services  compare, ask: run the profiles against the fake Hugging Face, TEI and Ollama services (repository checkout only)
  --debug          print the stack trace of an error
  -h, --help       this help (after a command: that command's help)
  -v, --version    the version of @ragbridge/cli

Storage: with DATABASE_URL set to a postgres:// URL (and no storage in ragbridge.yaml), or storage.kind:
postgres in ragbridge.yaml, commands use that PostgreSQL database (pgvector) for documents, the usage
ledger, budgets and the embedding cache; --store FILE still picks a SQLite file. See docs/postgres.md.

Exit codes: 0 done; 1 the command failed (or a refused answer); 2 wrong usage (or a paid embedding without --yes).

Traces: set OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or http/json,
OTEL_SERVICE_NAME, …) to send OpenTelemetry spans of each command over OTLP/HTTP; off when unset.`;

/** Help of each command: `ragbridge help <command>` or `ragbridge <command> --help`. */
const COMMAND_HELP: Readonly<Record<string, string>> = {
  demo: `ragbridge demo [--question "<q>"]

Ingests a sample corpus (ragbridge's own documentation and a PDF generated from it) into
.ragbridge/demo.db and answers a question with citations, offline: no account, no network.
  --question "<q>"  ask this instead of the default question`,
  ingest: `ragbridge ingest <files or folders…> [--store FILE] [--prune] [--yes] [--workers N] [--profile NAME]

Adds PDF, Markdown, HTML and text files to the store; unchanged files are skipped.
  --store FILE   a SQLite store (default: the configuration's PostgreSQL storage, else .ragbridge/store.db)
  --prune        also remove stored documents whose files are gone from the given folders
  --workers N    extraction worker threads (default: one per core; 0: the main thread)
  --profile NAME embed the chunks that have no vector yet with this profile's embedder (offline, the default: none)
  --yes, -y      go ahead without asking: a paid embedding (a hosted embedder such as hf-spaces'), and
                 --prune of folders where no file is left (it removes everything under them)

With a hosted embedder, the files are ingested first, then the estimated tokens and cost of the
embedding are shown and confirmed on a terminal (elsewhere --yes is needed: without it nothing is
embedded and the exit code is 2). Local embedders (Ollama, Transformers.js) need no confirmation.
Exits 1 when a file failed, nothing was ingested, --prune refused to empty the folders, or the
embedding was declined or failed.`,
  ask: `ragbridge ask "<question>" [--store FILE] [--json] [--explain] [--profile NAME] [--fake-services]

Answers from the store with citations to document and page (or section).
  --store FILE     a SQLite store (default: the configuration's PostgreSQL storage, else .ragbridge/store.db)
  --json           print the answer, citations and retrieval as JSON
  --explain        show why each source ranks where it does
  --profile NAME   offline, local, hf-spaces or hybrid (default: resolved as the demo app does)
  --fake-services  answer with the profile's models on the fake Hugging Face, TEI and Ollama
                   services (repository checkout only)`,
  eval: `ragbridge eval --corpus DIR --qa FILE[,FILE…] --out FILE.json [--folds K] [--store FILE] [--profile NAME]

Ingests DIR, asks every question of the QA files and scores retrieval (hit@k, MRR), refusals and
citation support; writes every row to FILE.json.
  --folds K        also cross-validate the ranking weights and refusal threshold (K ≥ 2)
  --store FILE     a SQLite store for the corpus (default .ragbridge/eval-<corpus>.db; with PostgreSQL
                   storage, the schema eval_<corpus> of that database, apart from your documents)`,
  compare: `ragbridge compare --profiles A,B --qa FILE [--corpus DIR] [--out DIR] [--k 10] [--fake-services]
ragbridge compare --reindex-plan --profiles A,B [--corpus DIR] [--apply] [--fake-services]

Runs the same questions through two profiles (or configuration files) and reports quality,
latency and cost side by side; --reindex-plan estimates what moving the store to B's embedder
costs, and --apply does it.`,
  doctor: `ragbridge doctor [--profile NAME]

Says which profile the commands run and why (--profile, RAGBRIDGE_PROFILE, ragbridge.yaml, or
detected), with secrets redacted, and where documents live: with PostgreSQL storage, whether the
database answers, whether pgvector is installed and the schema's version (the URL shown without
user and password). Then it calls every model step of its answer, embedder and reranker
chains once (a one-token answer, one short text embedded, one pair scored; short timeouts, no
retries) and says for each: ok with its latency, or what is wrong and what to do (start Ollama,
ollama pull, set HF_TOKEN, start TEI, npm install an adapter, download a model).
  --profile NAME   offline, local, hf-spaces or hybrid (default: resolved as every command does)

Exits 0 when every model step works (a Transformers.js model not on disk is allowed with
offline: true), 1 when one does not; ragbridge still answers then, with the part's next step,
extractive answers, keyword retrieval or the fused order.`,
  prices: `ragbridge prices update [--out DIR] [--router URL] [--fake-services]

Reads the Inference Providers router's model listing (GET https://router.huggingface.co/v1/models,
no token needed), in which each provider of a model lists its price per million input and output
tokens, and writes it as a price table to DIR/hf-router-prices-YYYY-MM-DD.json (default DIR:
.ragbridge/prices), saying how many prices changed since the newest earlier file there. Point the
configuration at it, and budgets price routed calls with today's numbers:
  prices:
    file: /absolute/path/hf-router-prices-YYYY-MM-DD.json
Providers listed without a price stay out: a call they serve is charged the highest price listed for
its model. hf-inference embeddings and reranking and dedicated endpoints are not in the listing:
give them prices.overrides (perRequest, perHour).
  --out DIR        where the dated file goes
  --router URL     a router elsewhere (a mirror or private gateway); its listing is <URL>/v1/models
  --fake-services  read the listing from the repository's fake service (a checkout only)`,
  migrate: `ragbridge migrate [--from FILE] [--to URL] [--schema NAME] [--yes]

Copies every document of a SQLite store into PostgreSQL, with its chunks, their index terms and the
stored vectors of every embedder identity: nothing is embedded again. Documents already there with
the same content hash are skipped and only missing vectors are written, so running it again changes
nothing. The SQLite file is opened read-only and left as it is. One line per document on stderr, a
summary (documents, chunks, vectors per embedder identity, seconds) on stdout.
  --from FILE     the SQLite store (default: the configuration's or its profile's SQLite file, else
                  .ragbridge/store.db, whichever exists)
  --to URL        postgres://user:password@host:5432/database (default: the configuration's PostgreSQL
                  storage, else DATABASE_URL); the database needs the pgvector extension
  --schema NAME   the PostgreSQL schema (default: storage.schema, else the store's default)
  --yes, -y       copy without asking (needed without a terminal: exit code 2 otherwise)

Then set DATABASE_URL (or storage.kind: postgres in ragbridge.yaml) and every command uses the
database.`,
  help: `ragbridge help [command]

Prints the overview, or one command's help.`,
};

/** The version of this package, from its package.json. */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs the CLI with arguments (without `node` and the script). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      prune: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
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
      version: { type: 'boolean', short: 'v' },
      debug: { type: 'boolean' },
      router: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      schema: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version || command === 'version') {
    console.log(cliVersion());
    return 0;
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && !COMMAND_HELP[topic]) throw new UsageError(`no command "${topic}"; commands: ${Object.keys(COMMAND_HELP).join(', ')}`);
    console.log(topic ? COMMAND_HELP[topic] : USAGE);
    return 0;
  }
  if (!command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.help) {
    if (!COMMAND_HELP[command]) throw new UsageError(`unknown command "${command}"; run ragbridge --help`);
    console.log(COMMAND_HELP[command]);
    return 0;
  }
  // Unset: the configuration's PostgreSQL storage, else the CLI's SQLite file (defaultStorePath).
  const store = values.store;
  switch (command) {
    case 'demo':
      return demoCommand(values.question !== undefined ? { question: values.question } : {});
    case 'ingest': {
      const workers = values.workers === undefined ? undefined : Number(values.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new UsageError(`--workers: expected a whole number ≥ 0, got "${values.workers}"`);
      return ingestCommand(rest, {
        store,
        ...(values.prune && { prune: true }),
        ...(values.yes && { yes: true }),
        ...(workers !== undefined && { workers }),
        ...(values.profile !== undefined && { profile: values.profile }),
      });
    }
    case 'ask':
      return withFakeServices(values['fake-services'], (fakes) =>
        askCommand(rest.join(' '), {
          store,
          ...(values.json && { json: true }),
          ...(values.explain && { explain: true }),
          ...(values.profile !== undefined && { profile: values.profile }),
          ...(fakes && { env: fakes.env, fetch: fakes.fetch }),
        }),
      );
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
    case 'doctor':
      if (rest.length > 0) throw new UsageError(`doctor: unexpected argument "${rest[0]}"; run ragbridge doctor [--profile NAME]`);
      return doctorCommand(values.profile !== undefined ? { profile: values.profile } : {});
    case 'migrate':
      if (rest.length > 0) throw new UsageError(`migrate: unexpected argument "${rest[0]}"; run ragbridge migrate [--from FILE] [--to URL] [--schema NAME] [--yes]`);
      return migrateCommand({
        ...(values.from !== undefined && { from: values.from }),
        ...(values.to !== undefined && { to: values.to }),
        ...(values.schema !== undefined && { schema: values.schema }),
        ...(values.yes && { yes: true }),
        ...(values.profile !== undefined && { profile: values.profile }),
      });
    case 'prices':
      if (rest.length > 1) throw new UsageError(`prices: unexpected argument "${rest[1]}"; run ragbridge prices update [--out DIR]`);
      return pricesCommand(rest[0], {
        ...(values.out !== undefined && { out: values.out }),
        ...(values.router !== undefined && { router: values.router }),
        ...(values['fake-services'] && { fakeServices: true }),
      });
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

/** Where {@link runCli} writes errors. */
export interface CliStreams {
  err?: NodeJS.WritableStream;
}

/** Parse errors of node:util's parseArgs: all mean wrong usage. */
const PARSE_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

/**
 * Runs the CLI and turns errors into one line on stderr and an exit code: 2 for wrong usage, 1
 * for a failure; the stack trace only with `--debug`.
 */
export async function runCli(argv: string[], streams: CliStreams = {}): Promise<number> {
  const err = streams.err ?? process.stderr;
  // OpenTelemetry when the OTEL_* variables ask for it (nothing is loaded otherwise): the command is
  // the root span, and every span is sent before the CLI exits.
  const tracing = await startTracing({ serviceName: 'ragbridge-cli', serviceVersion: cliVersion(), warn: (message) => err.write(`${message}\n`) });
  if (!tracing) return runCommand(argv, err);
  try {
    const command = argv.find((arg) => Object.hasOwn(COMMAND_HELP, arg));
    return await tracing.inSpan(command ? `ragbridge ${command}` : 'ragbridge', () => runCommand(argv, err));
  } finally {
    await tracing.shutdown();
  }
}

/** Runs a command: errors become one line on `err` and the exit code. */
async function runCommand(argv: string[], err: NodeJS.WritableStream): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    return await main(argv);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === 'string' && PARSE_ERRORS.has(code))) {
      err.write(`ragbridge: ${(error as Error).message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    // RagbridgeError messages already end with what to do about it.
    err.write(`ragbridge: ${message.split('\n')[0]}\n`);
    if (debug && error instanceof Error && error.stack) err.write(`${error.stack}\n`);
    else if (message.includes('\n')) err.write(`${message.split('\n').slice(1).join('\n')}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isEntry) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
