import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILE_NAMES } from '@ragbridge/config-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reingestAfterEdit } from './__fixtures__/reingest.js';

/** A guide of 24 sections, each a short paragraph of its own facts. */
function guide(): string {
  const sections = Array.from({ length: 24 }, (_, i) => {
    const n = i + 1;
    return [
      `## Setting ${n}: queue ${n} limits`,
      '',
      `Queue ${n} holds at most ${n * 64} messages before the broker pushes back on producers.`,
      `Consumers of queue ${n} acknowledge within ${n * 5} seconds, or the message returns to the queue.`,
      `Operators raise the limit of queue ${n} in the broker settings file and restart the node.`,
    ].join('\n');
  });
  return `# Broker guide\n\n${sections.join('\n\n')}\n`;
}

describe('the persistent embedding cache of every built-in profile', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rb-cache-corpus-'));
    files = [join(dir, 'broker-guide.md'), join(dir, 'notes.md')];
    await writeFile(files[0] as string, guide());
    await writeFile(files[1] as string, '# Notes\n\nThe broker keeps its settings in one file per node.\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // One sentence of one section changes: its chunk is embedded again, every other chunk's vector
  // comes from the profile's cache file, which outlived the first process.
  const edit = { file: 'broker-guide.md', change: (text: string) => text.replace('Queue 7 holds at most 448 messages', 'Queue 7 holds at most 512 messages') };

  it.each(PROFILE_NAMES)('%s: re-ingesting after a restart with one edited document serves at least 90 percent of its chunks from the cache', async (profile) => {
    const outcome = await reingestAfterEdit(profile, { files, edit });
    expect(outcome.firstChunks).toBeGreaterThanOrEqual(10);
    expect(outcome.updatedDocuments).toBe(1);
    expect(outcome.reingest.misses).toBeGreaterThanOrEqual(1);
    expect(outcome.reingest.hitRate).toBeGreaterThanOrEqual(0.9);
  });

  it('without a persistent cache the same re-ingest embeds every chunk of the document again', async () => {
    const outcome = await reingestAfterEdit('offline', { files, edit, memoryCache: true });
    expect(outcome.reingest).toMatchObject({ hits: 0, hitRate: 0 });
  });
});
