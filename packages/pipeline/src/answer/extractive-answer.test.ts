import type { Chunk, RetrievalHit } from '@ragbridge/core-interfaces';
import { describe, expect, it } from 'vitest';
import { extractiveAnswer } from './extractive-answer.js';

const hit = (text: string, page = 1, sectionPath: string[] = []): RetrievalHit => ({
  chunk: {
    id: `c${page}`,
    docId: 'spec',
    text,
    page,
    pageEnd: page,
    pageLabel: String(page),
    sectionPath,
    charStart: 0,
    charEnd: text.length,
  } as Chunk,
  score: 1,
  reason: 'keyword',
});

/** Letters and digits only, for checking that a quote is in a passage whatever the spacing. */
const squash = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

const ROUNDING = hit(
  'The rounding mode field frm selects the rounding of floating-point results. ' +
    'If frm is set to an invalid value, any subsequent attempt to execute a floating-point operation with a dynamic rounding mode will raise an illegal instruction exception. ' +
    'The accrued exception flags are kept in fflags. ' +
    'Implementations may add custom instructions in the reserved opcode space.',
  7
);

describe('extractiveAnswer', () => {
  it('quotes the sentence that answers, not the whole passage, each with its citation', () => {
    const answer = extractiveAnswer(
      'What happens when frm holds an invalid value and an operation uses the dynamic rounding mode?',
      [ROUNDING]
    );
    expect(answer.sentences.map((s) => s.text)).toEqual([
      'If frm is set to an invalid value, any subsequent attempt to execute a floating-point operation with a dynamic rounding mode will raise an illegal instruction exception.',
    ]);
    expect(answer.text).toBe(`${answer.sentences[0]?.text} [1]`);
    expect(answer.used).toEqual([1]);
  });

  it('adds a further sentence only when it is nearly as relevant, and leaves unrelated ones out', () => {
    const passage = hit(
      'The base integer ISA has 32 integer registers named x0 to x31. Register x0 of the base integer ISA is hardwired to zero. ' +
        'The manual was typeset with LaTeX and printed on recycled paper.'
    );
    const both = extractiveAnswer(
      'How many integer registers does the base integer ISA have, and which one is hardwired to zero?',
      [passage]
    );
    expect(both.sentences.map((s) => s.text)).toEqual([
      'The base integer ISA has 32 integer registers named x0 to x31.',
      'Register x0 of the base integer ISA is hardwired to zero.',
    ]);
    const one = extractiveAnswer('Which register is hardwired to zero?', [passage]);
    expect(one.sentences.map((s) => s.text)).toEqual(['Register x0 of the base integer ISA is hardwired to zero.']);
    expect(
      extractiveAnswer('Which register is hardwired to zero?', [passage], { maxSentences: 1 }).sentences
    ).toHaveLength(1);
  });

  it('cites every sentence to the hit whose text holds it, the best-ranked one when several do', () => {
    const hits = [
      hit('Interrupts are delivered to harts through the platform interrupt controller.', 2),
      hit(
        'The threshold register masks interrupts. Only interrupts with a priority strictly greater than the threshold are delivered to the hart.',
        5
      ),
      hit(
        'Only interrupts with a priority strictly greater than the threshold are delivered to the hart. Priorities are set per source.',
        9
      ),
    ];
    const answer = extractiveAnswer('Which interrupts does the hart receive when a priority threshold is set?', hits);
    expect(answer.sentences.length).toBeGreaterThan(0);
    for (const sentence of answer.sentences)
      expect(squash(hits[sentence.source - 1]?.chunk.text ?? '')).toContain(squash(sentence.text));
    expect(answer.sentences[0]).toMatchObject({
      text: 'Only interrupts with a priority strictly greater than the threshold are delivered to the hart.',
      source: 2,
    });
    expect(answer.used[0]).toBe(2);
  });

  it('prefers the better-ranked source, but a clearly better sentence further down wins', () => {
    const weakFirst = hit('Each hart has a timer. The compare register is described elsewhere in this chapter.', 1);
    const strongThird = hit(
      'The timer compare register mtimecmp is memory-mapped because it must live in the same clock domain as the real-time counter.',
      3
    );
    const filler = hit('Counters are read with dedicated instructions.', 2);
    const answer = extractiveAnswer('Why is the timer compare register mtimecmp memory-mapped?', [
      weakFirst,
      filler,
      strongThird,
    ]);
    expect(answer.sentences[0]).toMatchObject({ source: 3 });
    expect(answer.used).toEqual([3]);
    // The same sentence in sources 1 and 3: source 1 is cited.
    const tie = extractiveAnswer('Why is the timer compare register mtimecmp memory-mapped?', [
      strongThird,
      filler,
      strongThird,
    ]);
    expect(tie.used).toEqual([1]);
  });

  it('reads a sentence in the light of the headings above its passage, but never quotes one for its headings alone', () => {
    const elsewhere = hit('The timer is reset by writing the reset register.', 1, ['Power management']);
    const watchdog = hit('The timer is reset by writing the reset register twice.', 2, ['Watchdog']);
    expect(extractiveAnswer('How is the watchdog timer reset?', [elsewhere, watchdog]).used).toEqual([2]);
    expect(
      extractiveAnswer('How is the watchdog timer reset?', [
        elsewhere,
        hit('Nothing else happens here at all.', 2, ['Watchdog']),
      ]).used
    ).toEqual([1]);
    expect(
      extractiveAnswer('What does the watchdog do?', [hit('Nothing else happens here at all.', 2, ['Watchdog'])]).text
    ).toBe('');
  });

  it('cites another page only when its sentence is as strong and says what the quoted ones do not', () => {
    const first = hit('The vtype register holds the element width of the vector instructions.', 1);
    const repeat = hit('The vtype register holds the element width used by vector instructions.', 2);
    const other = hit('The vl register holds the number of elements to process.', 3);
    const question = 'What do the vtype and vl registers hold?';
    expect(extractiveAnswer(question, [first, repeat, other]).used).toEqual([1]);
    const lenient = extractiveAnswer(question, [first, repeat, other], { otherSourceThreshold: 0.3 });
    // The paraphrase in source 2 adds nothing; the vl sentence in source 3 adds what source 1 lacks.
    expect(lenient.sentences.map((s) => [s.source, s.text])).toEqual([
      [1, 'The vtype register holds the element width of the vector instructions.'],
      [3, 'The vl register holds the number of elements to process.'],
    ]);
    expect(lenient.text).toBe(
      'The vtype register holds the element width of the vector instructions. [1] The vl register holds the number of elements to process. [3]'
    );
  });

  it('quotes a table row under its header as a row', () => {
    const table = hit(
      'Rounding modes\nMnemonic | Encoding | Meaning\nRNE | 000 | Round to nearest, ties to even\nRTZ | 001 | Round towards zero\nDYN | 111 | Dynamic rounding mode',
      4
    );
    const answer = extractiveAnswer('Which encoding selects round towards zero (RTZ)?', [table]);
    expect(answer.sentences).toEqual([
      expect.objectContaining({
        text: 'RTZ | 001 | Round towards zero',
        kind: 'row',
        header: 'Mnemonic | Encoding | Meaning',
        source: 1,
      }),
    ]);
    expect(answer.text).toBe('Mnemonic | Encoding | Meaning\nRTZ | 001 | Round towards zero [1]');
    // Prose after a row goes on a line of its own.
    const prose = hit(
      'Round towards zero (RTZ) discards the fraction; the encoding of RTZ is fixed by the standard.',
      5
    );
    const mixed = extractiveAnswer('Which encoding selects round towards zero (RTZ)?', [table, prose], {
      otherSourceThreshold: 0,
    });
    expect(mixed.text).toBe(
      'Mnemonic | Encoding | Meaning\nRTZ | 001 | Round towards zero [1]\nRound towards zero (RTZ) discards the fraction; the encoding of RTZ is fixed by the standard. [2]'
    );
  });

  it('quotes clean text: no footnote markers, no reference numbers, words joined at line-end hyphens', () => {
    const passage = hit(
      'Software vali- dation confirms that the software conforms to user needs [12].4 Testing is one part of it.'
    );
    const answer = extractiveAnswer('What does software validation confirm?', [passage]);
    expect(answer.text).toBe('Software validation confirms that the software conforms to user needs. [1]');
  });

  it('marks a sentence the passage cuts off with an ellipsis', () => {
    const passage = hit(
      'resolves the address in the page table. The walker stops at a leaf page table entry and raises a fault when the entry is invalid, unless'
    );
    const answer = extractiveAnswer('When does the page table walker raise a fault?', [passage]);
    expect(answer.sentences).toEqual([expect.objectContaining({ fragment: true })]);
    expect(answer.text).toBe(
      'The walker stops at a leaf page table entry and raises a fault when the entry is invalid, unless … [1]'
    );
  });

  it('brings the sentence a "This…" sentence leans on, and the items a list introduces', () => {
    const leaning = hit(
      'The hypervisor extension adds a virtualization mode V. This mode indicates whether the hart runs a guest, so traps can be routed to the guest.'
    );
    const answer = extractiveAnswer('Which mode indicates whether the hart runs a guest?', [leaning]);
    expect(answer.sentences.map((s) => s.text)).toEqual([
      'The hypervisor extension adds a virtualization mode V.',
      'This mode indicates whether the hart runs a guest, so traps can be routed to the guest.',
    ]);
    const list = hit(
      'Two schemes to manage the accessed and dirty bits are permitted:\n• The hardware raises a page fault when the bit is clear.\n• The hardware sets the bit itself when it is clear.'
    );
    const items = extractiveAnswer('Which schemes to manage the accessed and dirty bits are permitted?', [list]);
    expect(items.sentences).toHaveLength(3);
    expect(items.sentences[0]?.text).toBe('Two schemes to manage the accessed and dirty bits are permitted:');
  });

  it('weighs question terms with termWeight when given', () => {
    const passage = hit(
      'The cycle counter counts clock cycles of the hart. The time counter reports wall-clock time from a constant-rate clock.'
    );
    const question = 'Which counter should a benchmark read for wall-clock time instead of the cycle counter?';
    const favourCycle = extractiveAnswer(question, [passage], {
      termWeight: (t) => (t === 'cycl' ? 10 : 1),
      maxSentences: 1,
    });
    const favourWall = extractiveAnswer(question, [passage], {
      termWeight: (t) => (t === 'wall' ? 10 : 1),
      maxSentences: 1,
    });
    expect(favourCycle.sentences[0]?.text).toMatch(/^The cycle counter/);
    expect(favourWall.sentences[0]?.text).toMatch(/^The time counter/);
  });

  it('answers nothing when no sentence shares a term with the question, and rejects a bad maxSentences', () => {
    expect(extractiveAnswer('How do I bake sourdough bread?', [ROUNDING])).toEqual({
      text: '',
      used: [],
      sentences: [],
    });
    expect(extractiveAnswer('What is frm?', [])).toEqual({ text: '', used: [], sentences: [] });
    expect(() => extractiveAnswer('What is frm?', [ROUNDING], { maxSentences: 0 })).toThrow(
      /maxSentences must be a positive integer, got 0/
    );
  });
});
