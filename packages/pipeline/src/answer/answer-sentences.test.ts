import { describe, expect, it } from 'vitest';
import { isTableRow, looksLikeReferenceEntry, splitAnswerSentences } from './answer-sentences.js';

const texts = (text: string, context?: string): string[] =>
  splitAnswerSentences(text, context !== undefined ? { context } : {}).map((s) => s.text);

describe('splitAnswerSentences', () => {
  it('ends a sentence at a footnote marker and drops the marker', () => {
    expect(texts('The field holds 32 bits.1 The next field is reserved.')).toEqual([
      'The field holds 32 bits.',
      'The next field is reserved.',
    ]);
    expect(texts('It must be a legal value.² See the table for the encodings.')).toEqual([
      'It must be a legal value.',
      'See the table for the encodings.',
    ]);
    expect(texts('The trap is taken in M-mode.[12] Handlers run there.')).toEqual([
      'The trap is taken in M-mode.',
      'Handlers run there.',
    ]);
    expect(texts('Writes to it are always ignored by the hardware.3')).toEqual([
      'Writes to it are always ignored by the hardware.',
    ]);
  });

  it('drops bracketed reference numbers after a word but keeps one that is the object of the phrase', () => {
    expect(texts('Cores such as CVA6 [20] and Rocket [1, 3] use this scheme.')).toEqual([
      'Cores such as CVA6 and Rocket use this scheme.',
    ]);
    expect(texts('In [102], we describe the allocation; see [7] for the rest.')).toEqual([
      'In [102], we describe the allocation; see [7] for the rest.',
    ]);
    // An index into a field is not a reference.
    expect(texts('The bit mstatus[3] is MIE and imm[31:12] is the upper immediate.')).toEqual([
      'The bit mstatus[3] is MIE and imm[31:12] is the upper immediate.',
    ]);
  });

  it('drops the number before a footnote text but keeps a count', () => {
    expect(texts('42 In the review of the plan, the agency focuses on hazards.')).toEqual([
      'In the review of the plan, the agency focuses on hazards.',
    ]);
    expect(texts('32 Registers are enough for most code, as measured.')).toEqual([
      '32 Registers are enough for most code, as measured.',
    ]);
  });

  it('never cuts at abbreviations, numbers, versions or dotted identifiers', () => {
    const sentences = texts(
      'Some fields are reserved, e.g. The low bits, i.e. Bits 0 to 3. See Fig. 3 and Sec. II for details. Smith et al. Describe it. ' +
        'Version 1.5 of the spec and v1.7 both set mstatus.MIE to 1. The end.'
    );
    expect(sentences).toEqual([
      'Some fields are reserved, e.g. The low bits, i.e. Bits 0 to 3.',
      'See Fig. 3 and Sec. II for details.',
      'Smith et al. Describe it.',
      'Version 1.5 of the spec and v1.7 both set mstatus.MIE to 1.',
      'The end.',
    ]);
    expect(texts('The layout is given in Table 3.1 The fields follow.')).toEqual([
      'The layout is given in Table 3.1 The fields follow.',
    ]);
  });

  it('joins words broken at a line-end hyphen, keeping compounds and suspended hyphens', () => {
    expect(texts('Software vali- dation needs a plan for single- and double-precision units.')).toEqual([
      'Software validation needs a plan for single- and double-precision units.',
    ]);
    expect(texts('Software vali-\ndation needs a plan.')).toEqual(['Software validation needs a plan.']);
    expect(texts('A 64- bit and FPGA- based design.')).toEqual(['A 64-bit and FPGA-based design.']);
    // Glued by extraction: joined only when the joined word is as common around it, as a real compound looks the same.
    const counts = 'An instruction set.\nEach instruc-tion is a floating-point one.';
    expect(texts('Each instruc-tion is a floating-point one.', counts)).toEqual([
      'Each instruction is a floating-point one.',
    ]);
    expect(texts('Each instruc-tion is a floating-point one.')).toEqual(['Each instruc-tion is a floating-point one.']);
  });

  it('joins a sentence wrapped over lines and keeps headings and captions apart as labels', () => {
    const pieces = splitAnswerSentences(
      'Registers\nThe base ISA has 32 registers named x0-x31 and defined in\nSection 3 of this volume.\nTable 3.2: Listing of the instructions.'
    );
    expect(pieces.map((p) => [p.kind, p.text])).toEqual([
      ['label', 'Registers'],
      ['sentence', 'The base ISA has 32 registers named x0-x31 and defined in Section 3 of this volume.'],
      ['label', 'Table 3.2: Listing of the instructions.'],
    ]);
  });

  it('marks the end of a sentence that began before the passage as a fragment', () => {
    const pieces = splitAnswerSentences(
      'of Chapter 4, use eight. Nine major opcodes remain available.\ndepicted in the figure, the rows follow.'
    );
    expect(pieces.map((p) => p.kind)).toEqual(['fragment', 'sentence', 'sentence']);
    expect(splitAnswerSentences('depicted in the figure, the rows follow.')[0]?.kind).toBe('fragment');
    // Prose cut off where the passage ends; a list item without a full stop is whole.
    expect(
      splitAnswerSentences(
        'The counter is 64 bits wide. BLT and BLTU take the branch if rs1 is less than rs2, using'
      ).map((p) => p.kind)
    ).toEqual(['sentence', 'fragment']);
    expect(
      splitAnswerSentences('Registers:\n• The vector type register holds the element width').map((p) => p.kind)
    ).toEqual(['sentence', 'sentence']);
    // A sentence may open with a lower-case identifier.
    expect(splitAnswerSentences('The counter is 64 bits. mtimecmp holds the compare value.')[1]?.kind).toBe('sentence');
  });

  it('splits list items, also when a line runs several together or a bullet arrives as a control character', () => {
    const pieces = splitAnswerSentences(
      'There are two registers used in RVV • vtype: the vector type. • vl: the vector length.\n\u0088 When the A bit is clear, a fault is raised.'
    );
    expect(pieces.map((p) => [p.text, p.listItem === true])).toEqual([
      ['There are two registers used in RVV', false],
      ['vtype: the vector type.', true],
      ['vl: the vector length.', true],
      ['When the A bit is clear, a fault is raised.', true],
    ]);
  });

  it('returns table rows as rows with their header row when one is recognisable', () => {
    const pieces = splitAnswerSentences(
      'Rounding modes\nName | Bits | Meaning\nfrm | 7:5 | Rounding mode\nfflags | 4:0 | Accrued exceptions'
    );
    expect(pieces.filter((p) => p.kind === 'row')).toEqual([
      { text: 'frm | 7:5 | Rounding mode', kind: 'row', header: 'Name | Bits | Meaning', position: 1 },
      { text: 'fflags | 4:0 | Accrued exceptions', kind: 'row', header: 'Name | Bits | Meaning', position: 2 },
    ]);
    const markdown = splitAnswerSentences('| Field | Width |\n| rd | 5 |');
    expect(markdown).toEqual([{ text: 'rd | 5', kind: 'row', header: 'Field | Width', position: 0 }]);
    // A first row of numbers is data, not a header.
    const numeric = splitAnswerSentences('0x0000 | CPU ID unimplemented\n0x0001 | Rocket repository');
    expect(numeric.map((p) => p.header)).toEqual([undefined, undefined]);
  });
});

describe('helpers', () => {
  it('recognises table rows and reference-list entries', () => {
    expect(isTableRow('frm | 7:5 | Rounding mode')).toBe(true);
    expect(isTableRow('| a | b |')).toBe(true);
    expect(isTableRow('rd = rs1 | rs2')).toBe(true);
    expect(isTableRow('The x|y notation')).toBe(false);
    expect(
      looksLikeReferenceEntry(
        'A. Waterman, “The RISC-V compressed ISA,” in Proceedings of the Workshop, 2016, pp. 1–12.'
      )
    ).toBe(true);
    expect(looksLikeReferenceEntry('[94] The Linux kernel source, version 3.14.29.')).toBe(true);
    expect(looksLikeReferenceEntry('The 2019 specification removed the N extension.')).toBe(false);
  });
});
