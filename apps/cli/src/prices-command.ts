import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { HF_ROUTER_MODELS_URL, pricesFromHfRouterCatalog, priceTableSchema, type PriceTable } from '@ragbridge/cost-monitor';
import { UsageError } from './commands.js';
import { withFakeServices } from './fake-services.js';

/** Where `ragbridge prices update` writes its tables when `--out` is not given. */
export const DEFAULT_PRICES_DIR = join('.ragbridge', 'prices');

/** The file name of the table fetched on `asOf` (YYYY-MM-DD). */
export const pricesFileName = (asOf: string): string => `hf-router-prices-${asOf}.json`;

/** Options of {@link pricesCommand}. */
export interface PricesCommandOptions {
  /** Folder the dated file goes to. @default {@link DEFAULT_PRICES_DIR} */
  out?: string;
  /** The router to read the listing from (`<router>/v1/models`), e.g. a private gateway. @default https://router.huggingface.co */
  router?: string;
  /** Read the listing from the repository's fake Hugging Face service (a checkout only). */
  fakeServices?: boolean;
  /** `fetch` for the listing (tests point it at the fake). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Today, for the file's date. @default the clock */
  now?: () => Date;
  /** Where the report goes. @default process.stdout */
  stdout?: NodeJS.WritableStream;
}

/** The newest earlier table in `dir` (by the date in its name), to say what changed. */
async function previousTable(dir: string, except: string): Promise<{ file: string; table: PriceTable } | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^hf-router-prices-\d{4}-\d{2}-\d{2}\.json$/.test(n) && n !== except).sort();
  const last = names.at(-1);
  if (!last) return undefined;
  const parsed = priceTableSchema.safeParse(JSON.parse(await readFile(join(dir, last), 'utf8').catch(() => 'null')));
  return parsed.success ? { file: last, table: parsed.data } : undefined;
}

/** How many prices are new, changed or gone since `before`. */
function changesSince(before: PriceTable, after: PriceTable): { added: number; changed: number; removed: number } {
  const key = (p: PriceTable['prices'][number]): string => `${p.modelId}\u0000${p.provider ?? ''}`;
  const amounts = (p: PriceTable['prices'][number]): string => `${p.inputPerMillion ?? 0}/${p.outputPerMillion ?? 0}`;
  const old = new Map(before.prices.map((p) => [key(p), amounts(p)]));
  let added = 0;
  let changed = 0;
  for (const p of after.prices) {
    const was = old.get(key(p));
    if (was === undefined) added++;
    else if (was !== amounts(p)) changed++;
    old.delete(key(p));
  }
  return { added, changed, removed: old.size };
}

/**
 * `ragbridge prices update`: reads the Inference Providers router's model listing (each model's
 * providers with their per-million-token prices), turns it into a price table and writes it to a
 * dated file (`hf-router-prices-YYYY-MM-DD.json`) that a configuration's `prices.file` points at.
 * Models and providers the listing gives no price for stay out (their calls are estimated or unknown).
 */
export async function pricesCommand(action: string | undefined, options: PricesCommandOptions = {}): Promise<number> {
  if (action !== 'update') throw new UsageError(action === undefined ? 'prices: say what to do: ragbridge prices update' : `prices: unknown action "${action}"; run ragbridge prices update`);
  const out = options.stdout ?? process.stdout;
  const url = options.router ? `${options.router.replace(/\/+$/, '')}/v1/models` : HF_ROUTER_MODELS_URL;
  if (!/^https?:\/\/\S+$/i.test(url)) throw new UsageError(`--router: expected an http(s) URL, got "${options.router}"`);
  const read = async (fetchFn: typeof fetch): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new Error(`Could not read the model listing at ${url}: ${error instanceof Error ? error.message : String(error)}. Check the network (or --router), then run ragbridge prices update again.`);
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`The model listing at ${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`The model listing at ${url} is not JSON (${text.slice(0, 80)}…)`);
    }
  };
  const catalog = await withFakeServices(options.fakeServices, (fakes) => read(fakes?.fetch ?? options.fetch ?? globalThis.fetch));
  const asOf = (options.now?.() ?? new Date()).toISOString().slice(0, 10);
  const table = pricesFromHfRouterCatalog(catalog, { asOf });
  const listed = (catalog as { data: unknown[] }).data.length;

  const dir = resolve(options.out ?? DEFAULT_PRICES_DIR);
  await mkdir(dir, { recursive: true });
  const name = pricesFileName(asOf);
  const file = join(dir, name);
  const previous = await previousTable(dir, name);
  await writeFile(file, `${JSON.stringify(table, null, 2)}\n`);

  const models = new Set(table.prices.map((p) => p.modelId));
  const providers = new Set(table.prices.map((p) => p.provider));
  const lines = [
    `${table.prices.length} prices of ${models.size} models (of ${listed} listed) from ${providers.size} providers, as of ${asOf}: ${relative(process.cwd(), file) || file}`,
  ];
  if (previous) {
    const c = changesSince(previous.table, table);
    lines.push(`Since ${previous.table.asOf} (${previous.file}): ${c.added} new, ${c.changed} changed, ${c.removed} gone.`);
  }
  lines.push('Point the configuration at it (it replaces the built-in table):', '  prices:', `    file: ${file}`);
  out.write(`${lines.join('\n')}\n`);
  return 0;
}
