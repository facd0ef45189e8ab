import { describe, expect, it } from 'vitest';
import { assignFolds } from './folds.js';

describe('assignFolds', () => {
  const items = Array.from({ length: 23 }, (_, i) => ({ id: `q${i}`, group: i < 15 ? 'in' : 'out' }));

  it('deals each group evenly over the folds, the same way every time and in any input order', () => {
    const folds = assignFolds(items, 5);
    for (const group of ['in', 'out']) {
      const counts = [0, 1, 2, 3, 4].map((f) => items.filter((item, i) => item.group === group && folds[i] === f).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(assignFolds(items, 5)).toEqual(folds);
    const reversed = assignFolds([...items].reverse(), 5).reverse();
    expect(reversed).toEqual(folds);
    expect(assignFolds(items, 5, 2)).not.toEqual(folds);
  });

  it('rejects fewer than two folds or fewer items than folds', () => {
    expect(() => assignFolds(items, 1)).toThrow(/at least 2/);
    expect(() => assignFolds(items.slice(0, 3), 5)).toThrow(/at least 5 items/);
  });
});
