import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { ingestCommand } from './ingest-command.js';

// Imported lazily, as compare --fake-services does (the test kit is a dev dependency of the CLI).
const { fetchToFake, startFakeHf } = await import('@ragbridge/testkit');

const TOKEN = 'hf_ingestCostTestToken_0123456789';

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-ingest-cost-'));
  writeFileSync(
    join(dir, 'cache.md'),
    '# Cache\n\nThe cache evicts the least recently used entry after 512 entries.\n',
  );
  writeFileSync(join(dir, 'logs.md'), '# Logs\n\nLog files rotate every night and are kept for fourteen days.\n');
  return dir;
}

describe('ragbridge ingest --profile with a hosted embedder', () => {
  it('shows the estimate and exits 2 without --yes, calling no embedder; --yes embeds; then there is nothing left to pay for', async () => {
    const hf = await startFakeHf({ token: TOKEN });
    try {
      const options = {
        store: join(mkdtempSync(join(tmpdir(), 'rb-ingest-store-')), 'store.db'),
        profile: 'hf-spaces',
        workers: 0,
        env: { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' },
        fetch: fetchToFake(hf.url),
      };
      const dir = corpus();
      const embedCalls = (): unknown[] => hf.requests.filter((r) => r.route === 'hf-inference.pipeline');

      const refused = { out: sink(), err: sink() };
      expect(await ingestCommand([dir], { ...options, out: refused.out.stream, err: refused.err.stream })).toBe(2);
      expect(refused.out.text()).toMatch(/2 added, 0 updated/);
      expect(refused.err.text()).toContain(
        "Embedding with the hf-spaces profile's embedder (hf-inference-providers BAAI/bge-small-en-v1.5) is a paid call:",
      );
      expect(refused.err.text()).toMatch(
        /chunks without a vector for it: 2; in the embedding cache already: 0\n {2}estimated tokens: \d+\n {2}estimated cost: unknown \(/,
      );
      expect(refused.err.text()).toContain(
        'Not embedded: the 2 chunk(s) are stored and found by keywords until they are embedded. Run again with --yes to embed them.',
      );
      expect(embedCalls()).toHaveLength(0);

      const confirmed = { out: sink(), err: sink() };
      expect(
        await ingestCommand([dir], { ...options, yes: true, out: confirmed.out.stream, err: confirmed.err.stream }),
      ).toBe(0);
      expect(confirmed.out.text()).toMatch(/0 added, 0 updated, 2 unchanged/);
      expect(confirmed.out.text()).toContain("Embedded 2 chunk(s) with the hf-spaces profile's embedder.");
      expect(embedCalls().length).toBeGreaterThan(0);
      expect(hf.requests.find((r) => r.route === 'hf-inference.pipeline')?.headers.authorization).toBe(
        `Bearer ${TOKEN}`,
      );

      // Every chunk has its vector now: nothing to pay for, so nothing to confirm.
      const again = { out: sink(), err: sink() };
      const calls = embedCalls().length;
      expect(await ingestCommand([dir], { ...options, out: again.out.stream, err: again.err.stream })).toBe(0);
      expect(again.err.text()).not.toContain('paid call');
      expect(embedCalls()).toHaveLength(calls);
      for (const text of [refused, confirmed, again].flatMap((s) => [s.out.text(), s.err.text()]))
        expect(text).not.toContain(TOKEN);
    } finally {
      await hf.close();
    }
  }, 60_000);

  it('asks on a terminal: a no embeds nothing and exits 1, a yes embeds', async () => {
    const hf = await startFakeHf({ token: TOKEN });
    try {
      const options = {
        store: join(mkdtempSync(join(tmpdir(), 'rb-ingest-store-')), 'store.db'),
        profile: 'hf-spaces',
        workers: 0,
        env: { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' },
        fetch: fetchToFake(hf.url),
      };
      const dir = corpus();
      const questions: string[] = [];
      const declined = sink();
      expect(
        await ingestCommand([dir], {
          ...options,
          out: sink().stream,
          err: declined.stream,
          confirm: async (q) => (questions.push(q), false),
        }),
      ).toBe(1);
      expect(questions).toEqual(['Embed them now? [y/N] ']);
      expect(declined.text()).toContain('Run again and answer y (or pass --yes) to embed them.');
      expect(hf.requests.filter((r) => r.route === 'hf-inference.pipeline')).toHaveLength(0);
      const out = sink();
      expect(
        await ingestCommand([dir], { ...options, out: out.stream, err: sink().stream, confirm: async () => true }),
      ).toBe(0);
      expect(out.text()).toContain("Embedded 2 chunk(s) with the hf-spaces profile's embedder.");
    } finally {
      await hf.close();
    }
  }, 60_000);

  it('the command in a pipe, without --yes: the estimate on stderr and exit code 2', () => {
    const store = join(mkdtempSync(join(tmpdir(), 'rb-ingest-store-')), 'store.db');
    const bin = new URL('../bin/ragbridge.js', import.meta.url).pathname;
    const run = spawnSync(
      process.execPath,
      [bin, 'ingest', corpus(), '--profile', 'hf-spaces', '--store', store, '--workers', '0'],
      {
        encoding: 'utf8',
        env: { ...process.env, HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1', RAGBRIDGE_PROFILE: '' },
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/2 added/);
    expect(run.stderr).toMatch(/is a paid call:\n/);
    expect(run.stderr).toContain('Run again with --yes to embed them.');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  }, 60_000);
});
