import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { cliVersion, runCli } from './main.js';

/** Runs the CLI as the bin does: exit code, what it printed, what it wrote to stderr. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  const err = sink();
  try {
    const code = await runCli(argv, { err: err.stream });
    return { code, out: lines.join('\n'), err: err.text() };
  } finally {
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('ragbridge CLI usage', () => {
  it('--version, -v and `version` print the package version', async () => {
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
    expect(cliVersion()).toBe(version);
    for (const argv of [['--version'], ['-v'], ['version']]) expect(await run(...argv)).toEqual({ code: 0, out: version, err: '' });
  });

  it('help, help <command> and <command> --help; an unknown topic is a usage error', async () => {
    const overview = await run('help');
    expect(overview.code).toBe(0);
    expect(overview.out).toMatch(/^ragbridge: question answering/);
    expect(overview.out).toMatch(/Exit codes: 0 done; 1 the command failed.*; 2 wrong usage/);
    for (const command of ['demo', 'ingest', 'ask', 'eval', 'compare', 'doctor', 'prices', 'migrate']) {
      const viaHelp = await run('help', command);
      const viaFlag = await run(command, '--help');
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.out).toMatch(new RegExp(`^ragbridge ${command} `));
      expect(viaFlag).toEqual(viaHelp);
    }
    expect(await run('help', 'nope')).toMatchObject({ code: 2, err: 'ragbridge: no command "nope"; commands: demo, ingest, ask, eval, compare, doctor, prices, migrate, help\n' });
    // No command at all: the overview, and the exit code of wrong usage.
    expect((await run()).code).toBe(2);
  });

  it('wrong usage is one line on stderr and exit code 2: an option without its value, an unknown option or command', async () => {
    expect(await run('ask', '--store')).toEqual({ code: 2, out: '', err: "ragbridge: Option '--store <value>' argument missing\n" });
    const unknown = await run('ask', 'q', '--stor', 'x.db');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^ragbridge: Unknown option '--stor'/);
    expect(unknown.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(await run('frobnicate')).toMatchObject({ code: 2, err: 'ragbridge: unknown command "frobnicate"; run ragbridge --help\n' });
  });

  it('a --store that is not a database: one line naming it, exit 1, the file untouched; --debug adds the stack', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-cli-')), 'notes.txt');
    writeFileSync(path, 'not a database '.repeat(100));
    const plain = await run('ask', 'anything', '--store', path);
    expect(plain.code).toBe(1);
    expect(plain.err).toBe(`ragbridge: ${path} is not a ragbridge store (file is not a database); it was left unchanged: give another path\n`);
    expect(readFileSync(path, 'utf8')).toBe('not a database '.repeat(100));
    const debug = await run('ask', 'anything', '--store', path, '--debug');
    expect(debug.code).toBe(1);
    expect(debug.err).toMatch(/\n {4}at /);
  });
});

describe('ragbridge ingest reports what it could not do', () => {
  const folder = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cli-in-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('an empty folder, or one of unsupported files only: says so, lists the skipped, exits 1', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'rb-cli-st-')), 'store.db');
    const emptyOut = sink();
    const { ingestCommand: ingest } = await import('./ingest-command.js');
    expect(await ingest([folder({})], { store, workers: 0, out: emptyOut.stream })).toBe(1);
    expect(emptyOut.text()).toMatch(/Nothing was ingested from .*\(the folders are empty\)\./);
    const unsupported = folder({ 'slides.pptx': 'x', 'data.csv': 'a,b' });
    const out = sink();
    const { ingestCommand } = await import('./ingest-command.js');
    expect(await ingestCommand([unsupported], { store, workers: 0, out: out.stream })).toBe(1);
    expect(out.text()).toMatch(/- .*data\.csv: skipped, not a supported type \(\.csv; supported: \.pdf, \.md, \.html, \.txt\)/);
    expect(out.text()).toMatch(/- .*slides\.pptx: skipped, not a supported type \(\.pptx/);
    expect(out.text()).toMatch(/Nothing was ingested from .*: no readable PDF, Markdown, HTML or text file \(2 skipped or failed, listed above\)\./);
  });

  it('--prune on a folder emptied since: removes nothing without --yes, exits 1; with --yes removes them', async () => {
    const { ingestCommand } = await import('./ingest-command.js');
    const store = join(mkdtempSync(join(tmpdir(), 'rb-cli-st-')), 'store.db');
    const dir = folder({ 'a.md': '# A\n\nAlpha text.\n', 'b.md': '# B\n\nBeta text.\n' });
    expect(await ingestCommand([dir], { store, workers: 0, out: sink().stream })).toBe(0);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'a.md'));
    rmSync(join(dir, 'b.md'));
    const refused = sink();
    expect(await ingestCommand([dir], { store, workers: 0, prune: true, out: refused.stream })).toBe(1);
    expect(refused.text()).toMatch(/--prune would remove all 2 stored document\(s\) under .*; nothing was removed\. Run again with --yes/);
    const confirmed = sink();
    expect(await ingestCommand([dir], { store, workers: 0, prune: true, yes: true, out: confirmed.stream })).toBe(0);
    expect(confirmed.text()).toMatch(/0 added, 0 updated, 0 unchanged, 2 removed/);
  });
});

describe('ragbridge names documents so they can be told apart', () => {
  it('documents sharing a name are shown by their path; --json carries each citation’s path', async () => {
    const { askCommand, documentLabels } = await import('./commands.js');
    const { ingestCommand } = await import('./ingest-command.js');
    expect(
      documentLabels(
        [
          { id: 'a', name: 'README.md', source: '/w/docs/a/README.md' },
          { id: 'b', name: 'README.md', source: '/w/docs/b/README.md' },
          { id: 'c', name: 'guide.pdf', source: '/elsewhere/guide.pdf' },
        ],
        '/w',
      ),
    ).toEqual(new Map([['a', 'docs/a/README.md'], ['b', 'docs/b/README.md']]));
    const root = mkdtempSync(join(tmpdir(), 'rb-cli-names-'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'alpha'));
    mkdirSync(join(root, 'beta'));
    writeFileSync(join(root, 'alpha', 'README.md'), '# Alpha\n\nThe flux capacitor needs 1.21 gigawatts to travel in time.\n');
    writeFileSync(join(root, 'beta', 'README.md'), '# Beta\n\nThe warp core runs on dilithium crystals.\n');
    const store = join(root, 'store.db');
    expect(await ingestCommand([root], { store, workers: 0, out: sink().stream })).toBe(0);
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const text = sink();
      await askCommand('How many gigawatts does the flux capacitor need?', { store, out: text.stream });
      expect(text.text()).toMatch(/\[1\] alpha\/README\.md/);
      const json = sink();
      await askCommand('How many gigawatts does the flux capacitor need?', { store, json: true, out: json.stream });
      const { citations } = JSON.parse(json.text()) as { citations: Array<{ path: string; where: string }> };
      expect(citations[0]).toMatchObject({ path: join('alpha', 'README.md'), where: expect.stringMatching(/^alpha\/README\.md/) });
    } finally {
      process.chdir(cwd);
    }
  });
});
