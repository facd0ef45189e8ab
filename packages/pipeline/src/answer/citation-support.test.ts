import type { Chunk, RetrievalHit } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { checkCitationSupport } from './citation-support.js';

const hit = (text: string): RetrievalHit => ({ chunk: { id: text.slice(0, 8), docId: 'd', text, page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: text.length } as Chunk, score: 1, reason: 'keyword' });
const sources = [
  hit('Log files rotate every night at midnight and are kept for fourteen days before deletion.'),
  hit('Access tokens expire after thirty minutes; refresh tokens expire after seven days.'),
  hit('The cache evicts the least recently used entry once it holds more than 512 entries.'),
];

describe('checkCitationSupport', () => {
  it('keeps citations whose source holds the sentence', () => {
    const text = 'Rotated log files are kept for fourteen days [1]. Access tokens expire after thirty minutes. [2]';
    expect(checkCitationSupport(text, sources)).toEqual({ text, moved: [], removed: [] });
  });

  it('moves a citation to the source that holds the sentence', () => {
    const checked = checkCitationSupport('The cache evicts the least recently used entry past 512 entries [1]. Logs are kept fourteen days [1].', sources);
    expect(checked.text).toBe('The cache evicts the least recently used entry past 512 entries [3]. Logs are kept fourteen days [1].');
    expect(checked.moved).toEqual([{ from: 1, to: 3 }]);
  });

  it('removes a citation to a source that shares nothing with the sentence when none holds it', () => {
    const checked = checkCitationSupport('Kubernetes scales deployments horizontally by observed CPU load [2].\nTokens expire after thirty minutes [2].', sources);
    expect(checked.text).toBe('Kubernetes scales deployments horizontally by observed CPU load.\nTokens expire after thirty minutes [2].');
    expect(checked.removed).toEqual([2]);
  });

  it('leaves short claims, decimals and identifiers inside a sentence alone', () => {
    expect(checkCitationSupport('Yes [3].', sources).text).toBe('Yes [3].');
    // "0.5" and "os.path" do not end the sentence the citation judges.
    const text = 'Entries past 512 are evicted, least recently used first, with ratio 0.5 in os.path terms [3].';
    expect(checkCitationSupport(text, sources).moved).toEqual([]);
  });
});
