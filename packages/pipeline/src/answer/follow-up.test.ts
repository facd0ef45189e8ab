import { describe, expect, it } from 'vitest';
import { followUpQuestion, historyMessages } from './follow-up.js';

describe('follow-up questions', () => {
  const history = [{ question: 'What does the MRET instruction do?', answer: 'MRET returns from a machine-mode trap [1][2].' }];

  it('retrieves a question that points back, or is too short to name its subject, with the previous question', () => {
    expect(followUpQuestion('What is its encoding?', history)).toBe('What does the MRET instruction do? What is its encoding?');
    expect(followUpQuestion('And on RV64?', history)).toBe('What does the MRET instruction do? And on RV64?');
    expect(followUpQuestion('Why?', history)).toBe('What does the MRET instruction do? Why?');
  });

  it('keeps a question that stands on its own, and any question without history, as it is', () => {
    expect(followUpQuestion('Which CSR holds the machine trap vector base address?', history)).toBe('Which CSR holds the machine trap vector base address?');
    expect(followUpQuestion('What is its encoding?', [])).toBe('What is its encoding?');
    expect(followUpQuestion('What is its encoding?', undefined)).toBe('What is its encoding?');
  });

  it('gives a chat model the last turns without their old citation numbers', () => {
    const turns = [{ question: 'q1', answer: 'a1 [1]' }, { question: 'q2' }, { question: 'q3', answer: 'a3 [2, 3].' }, { question: 'q4', answer: 'a4' }];
    expect(historyMessages(turns)).toEqual([
      { role: 'user', content: 'q2' },
      { role: 'user', content: 'q3' },
      { role: 'assistant', content: 'a3.' },
      { role: 'user', content: 'q4' },
      { role: 'assistant', content: 'a4' },
    ]);
    expect(historyMessages(history)[1]).toEqual({ role: 'assistant', content: 'MRET returns from a machine-mode trap.' });
  });
});
