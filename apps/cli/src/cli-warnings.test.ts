import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { cliLogger, createDetailShortener, createWarningTally } from './cli-warnings.js';
import { compareCommand } from './compare.js';

/** An error detail as the runtime writes one: long, with parentheses of its own and advice at the end. */
const DETAIL =
  'ModelNotFoundError: Model files config.json, onnx/model_quantized.onnx not found (looked in /a/models and /a/.cache), and downloads are off (allowRemoteModels: false). Pre-download the model once.';

describe('warnings of a command', () => {
  it('the tally prints each distinct line once, in the order first seen, with (×N) when it came N times', () => {
    const tally = createWarningTally();
    for (let i = 0; i < 5; i++)
      tally.logger.warn(`The embedder chain failed (${DETAIL}); questions use keyword retrieval only`);
    tally.logger.warn('The reranker chain reached its last step, fused-order;\n  hits keep their order');
    tally.add('note', `B: indexing the vectors failed (${DETAIL}).`);
    tally.logger.info('The embedder chain works again');
    const err = sink();
    tally.flush(err.stream);
    expect(err.text().split('\n')).toEqual([
      `ragbridge: warning: The embedder chain failed (${DETAIL}); questions use keyword retrieval only (×5)`,
      'ragbridge: warning: The reranker chain reached its last step, fused-order; hits keep their order',
      // The long detail is written out once; later lines point back to it.
      'ragbridge: note: B: indexing the vectors failed (ModelNotFoundError, as above).',
      '',
    ]);
    // Flushed lines are forgotten.
    const again = sink();
    tally.flush(again.stream);
    expect(again.text()).toBe('');
  });

  it('short details stay where they are; unbalanced parentheses leave the line as it is', () => {
    const shorten = createDetailShortener();
    expect(shorten('A failed (RateLimitError: slow down).')).toBe('A failed (RateLimitError: slow down).');
    expect(shorten('B failed (RateLimitError: slow down).')).toBe('B failed (RateLimitError: slow down).');
    expect(shorten(`C failed (${DETAIL}`)).toBe(`C failed (${DETAIL}`);
  });

  it('the streaming logger prints a warning once, at once, with a long detail only the first time', () => {
    const err = sink();
    const logger = cliLogger(err.stream);
    logger.warn(`Embedding ingested chunks has no model it can run here (${DETAIL}); found by keywords`);
    logger.warn(`Embedding ingested chunks has no model it can run here (${DETAIL}); found by keywords`);
    logger.warn(`The embedder chain has no model it can run here (${DETAIL}); keyword retrieval only`);
    expect(err.text()).toBe(
      `ragbridge: warning: Embedding ingested chunks has no model it can run here (${DETAIL}); found by keywords\n` +
        'ragbridge: warning: The embedder chain has no model it can run here (ModelNotFoundError, as above); keyword retrieval only\n',
    );
  });
});

/** A port on 127.0.0.1 where nothing listens (a server was there a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ragbridge compare with a backend that is down', () => {
  it('prints each warning and note once on stderr (counts for repeats), the error in full once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cmp-warn-'));
    const docs = join(dir, 'docs');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(docs);
    writeFileSync(
      join(docs, 'cache.md'),
      '# Cache\n\nThe cache evicts the least recently used entry after 512 entries.\n',
    );
    writeFileSync(join(docs, 'logs.md'), '# Logs\n\nLog files rotate every night and are kept for fourteen days.\n');
    const qa = join(dir, 'qa.json');
    writeFileSync(
      qa,
      JSON.stringify(
        ['When does the cache evict?', 'How long are logs kept?', 'What rotates?', 'Cache size?', 'Log rotation?'].map(
          (question, i) => ({ id: `q${i}`, question }),
        ),
      ),
    );
    // Both sides embed with the same TEI server, which is down: both runtimes log the same failures.
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const config = `extends: offline\noffline: false\nmodels:\n  embedder:\n    chain:\n      - backend: hf-tei\n        model: BAAI/bge-small-en-v1.5\n        endpoint: ${endpoint}\n  reranker:\n    chain: []\n`;
    writeFileSync(join(dir, 'a.yaml'), config);
    writeFileSync(join(dir, 'b.yaml'), config);
    const out = sink();
    const err = sink();
    const code = await compareCommand({
      profiles: `${join(dir, 'a.yaml')},${join(dir, 'b.yaml')}`,
      qa,
      corpus: docs,
      out: join(dir, 'report'),
      store: join(dir, 'store.db'),
      log: out.stream,
      err: err.stream,
    });
    expect(code).toBe(0);
    const lines = err.text().trimEnd().split('\n');
    expect(new Set(lines).size).toBe(lines.length);
    // The error says where and what to do, once; every other line that carries it points back.
    const full =
      /\((BackendUnreachableError: Connection failed.*? and port are right\.)\)/.exec(err.text())?.[1] ?? 'no detail';
    expect(full).toContain(`[hf-tei model "BAAI/bge-small-en-v1.5" at ${endpoint}/info]`);
    expect(err.text().split(full)).toHaveLength(2);
    expect(lines).toContain(
      'ragbridge: warning: The embedder chain failed (BackendUnreachableError, as above); questions use keyword retrieval only until it works again (×2)',
    );
    expect(lines.filter((l) => l.includes('(BackendUnreachableError, as above)')).length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.startsWith('ragbridge: note: ')).length).toBeGreaterThan(0);
    // The report's notes keep the whole error (report.md is read later, alone).
    expect(out.text()).not.toContain('note:');
  }, 60_000);
});
