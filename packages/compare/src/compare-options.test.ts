import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { describe, expect, it } from 'vitest';
import { applyReindex, compareProfiles, reindexPlan, type CompareOptions, type CompareSide } from './index.js';

const side = (name: string): CompareSide => ({ name, runtime: { config: getBuiltInProfile('offline') } });
const valid: CompareOptions = { a: side('a'), b: side('b'), questions: [{ id: 'q1', question: 'What?' }], storePath: 'unused.db' };

describe('options are checked before any runtime is created', () => {
  it.each([
    ['no questions', { questions: [] }, /questions must be a non-empty array \(to ingest a corpus for a re-index plan, pass corpus to reindexPlan\)/],
    ['a repeated question id', { questions: [{ id: 'q', question: 'a?' }, { id: 'q', question: 'b?' }] }, /question id "q" appears twice/],
    ['an empty question', { questions: [{ id: 'q', question: ' ' }] }, /questions\[0\]\.question must be a non-empty string/],
    ['an in-memory store the two sides cannot share', { storePath: ':memory:' }, /storePath must be a file both sides can open/],
    ['a side without a name', { a: { name: '', runtime: { config: getBuiltInProfile('offline') } } }, /options\.a\.name must be a non-empty string/],
  ])('compareProfiles refuses %s', async (_, change, message) => {
    await expect(compareProfiles({ ...valid, ...change } as CompareOptions)).rejects.toThrow(message);
  });

  it('compareProfiles refuses k outside 1..200', async () => {
    await expect(compareProfiles({ ...valid, k: 0 })).rejects.toThrow(RangeError);
    await expect(compareProfiles({ ...valid, k: 2.5 })).rejects.toThrow(/k must be an integer in \[1, 200\], got 2.5/);
  });

  it('reindexPlan and applyReindex refuse an in-memory store and a negative sample', async () => {
    await expect(reindexPlan({ from: side('a'), to: side('b'), storePath: ':memory:' })).rejects.toThrow(/reindexPlan: options.storePath/);
    await expect(applyReindex({ from: side('a'), to: side('b'), storePath: '' })).rejects.toThrow(/applyReindex: options.storePath/);
    await expect(reindexPlan({ from: side('a'), to: side('b'), storePath: 'x.db', sampleChunks: -1 })).rejects.toThrow(RangeError);
  });
});
