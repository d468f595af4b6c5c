import { describe, expect, it } from 'vitest';
import { alignAnnotation, alignBoxes, alignWords, type LabelledBox, type LabelledWord } from '../../../src/dataset/index';
import type { OcrPage } from '../../../src/textract/index';

type Placed = [text: string, x0: number, y0: number, x1: number, y1: number];

/** An OCR page from words with boxes on the 0..1000 scale, in reading order. */
const page = (pageNo: number, words: Placed[]): OcrPage => ({
  page: pageNo,
  width: 1000,
  height: 1000,
  words: words.map(([text, x0, y0, x1, y1]) => ({ text, box: [x0, y0, x1, y1], confidence: 95 })),
});

/** Page ratios from 0..1000 coordinates, to write boxes the way the contract does. */
const ratioBox = (x0: number, y0: number, x1: number, y1: number) => ({
  left: x0 / 1000,
  top: y0 / 1000,
  width: (x1 - x0) / 1000,
  height: (y1 - y0) / 1000,
});

// A receipt: company on the first line, two item lines, a total line, a footer.
const receipt = page(1, [
  ['BLUE', 100, 50, 200, 80],
  ['HERON', 210, 50, 330, 80],
  ['MARKET', 340, 50, 480, 80],
  ['OAT', 100, 200, 160, 230],
  ['MILK', 170, 200, 250, 230],
  ['3.20', 700, 200, 780, 230],
  ['BREAD', 100, 250, 220, 280],
  ['4.50', 700, 250, 780, 280],
  ['TOTAL', 100, 400, 220, 430],
  ['7.70', 700, 400, 780, 430],
  ['THANK', 100, 900, 220, 930],
  ['YOU', 230, 900, 300, 930],
]);

describe('alignBoxes', () => {
  it('labels the words each box covers, B- then I- in reading order, and leaves words outside every box O', () => {
    // Prepare
    const boxes: LabelledBox[] = [
      { label: 'company', box: ratioBox(90, 40, 500, 90) },
      { label: 'total', box: ratioBox(690, 390, 790, 440) },
    ];

    // Act
    const result = alignBoxes([receipt], boxes);

    // Assess
    expect(result.labels).toEqual(['B-COMPANY', 'I-COMPANY', 'I-COMPANY', 'O', 'O', 'O', 'O', 'O', 'O', 'B-TOTAL', 'O', 'O']);
    expect(result.aligned.map((a) => [a.field, a.wordIndexes])).toEqual([
      ['company', [0, 1, 2]],
      ['total', [9]],
    ]);
    expect(result.unaligned).toEqual([]);
  });

  it('keeps two boxes of one label apart as two entities', () => {
    // Prepare: one box per item line
    const boxes: LabelledBox[] = [
      { label: 'item_name', box: ratioBox(95, 195, 260, 235) },
      { label: 'item_name', box: ratioBox(95, 245, 260, 285) },
    ];

    // Act
    const result = alignBoxes([receipt], boxes);

    // Assess
    expect(result.labels.slice(3, 8)).toEqual(['B-ITEM_NAME', 'I-ITEM_NAME', 'O', 'B-ITEM_NAME', 'O']);
  });

  it('needs at least half of a word inside the box', () => {
    // Prepare: the box covers 60% of "BLUE" and 40% of "MARKET"
    const boxes: LabelledBox[] = [{ label: 'company', box: ratioBox(140, 40, 396, 90) }];

    // Act
    const result = alignBoxes([receipt], boxes);

    // Assess
    expect(result.labels.slice(0, 3)).toEqual(['B-COMPANY', 'I-COMPANY', 'O']);
  });

  it('gives a word under overlapping boxes to the box covering more of it, then to the smaller box', () => {
    // Prepare: a totals panel holding the total line, and a total box inside the panel; a second box
    // straddles "MILK" (30% of it) and "3.20"... and a third covers 70% of "MILK".
    const boxes: LabelledBox[] = [
      { label: 'totals', box: ratioBox(50, 380, 950, 450) },
      { label: 'total', box: ratioBox(690, 390, 790, 440) },
      { label: 'note', box: ratioBox(100, 190, 194, 240) }, // all of OAT, 30% of MILK
      { label: 'item_name', box: ratioBox(194, 190, 260, 240) }, // 70% of MILK
    ];

    // Act
    const result = alignBoxes([receipt], boxes);

    // Assess
    expect(result.labels[8]).toBe('B-TOTALS'); // TOTAL: only the panel covers it
    expect(result.labels[9]).toBe('B-TOTAL'); // 7.70: both cover it fully, the smaller box wins
    expect(result.labels[3]).toBe('B-NOTE');
    expect(result.labels[4]).toBe('B-ITEM_NAME');
    expect(result.unaligned).toEqual([]);
  });

  it('reports boxes it could not align: no word under them, words all taken, a page the OCR does not have', () => {
    // Prepare
    const boxes: LabelledBox[] = [
      { label: 'logo', box: ratioBox(600, 20, 900, 120) },
      { label: 'total', box: ratioBox(690, 390, 790, 440) },
      { label: 'amount', box: ratioBox(600, 300, 900, 500) }, // covers 7.70 too, but is larger
      { label: 'total', page: 3, box: ratioBox(0, 0, 100, 100) },
    ];

    // Act
    const result = alignBoxes([receipt], boxes);

    // Assess
    expect(result.aligned.map((a) => a.field)).toEqual(['total']);
    expect(result.unaligned).toEqual([
      { field: 'logo', value: 'box 1 on page 1 (left 0.600, top 0.020, width 0.300, height 0.100)', reason: 'no_words_in_box' },
      { field: 'amount', value: 'box 3 on page 1 (left 0.600, top 0.300, width 0.300, height 0.200)', reason: 'overlap' },
      { field: 'total', value: 'box 4 on page 3 (left 0.000, top 0.000, width 0.100, height 0.100)', reason: 'page_not_found' },
    ]);
  });

  it('starts a new entity where a box is interrupted in reading order by a word outside it', () => {
    // Prepare: a box over "TOTAL" and "7.70" only (not the words between them in reading order)
    const line = page(1, [
      ['TOTAL', 100, 400, 220, 430],
      ['DUE', 230, 400, 300, 430],
      ['7.70', 310, 400, 380, 430],
    ]);
    const boxes: LabelledBox[] = [
      { label: 'total', box: ratioBox(90, 390, 225, 440) },
      { label: 'total', box: ratioBox(305, 390, 390, 440) },
    ];

    // Act
    const result = alignBoxes([line], boxes);

    // Assess
    expect(result.labels).toEqual(['B-TOTAL', 'O', 'B-TOTAL']);
  });

  it('puts each box on its page; labels run over the pages in the order given', () => {
    // Prepare
    const second = page(2, [
      ['TOTAL', 100, 100, 220, 130],
      ['9.99', 700, 100, 780, 130],
    ]);
    const boxes: LabelledBox[] = [
      { label: 'total', page: 2, box: ratioBox(690, 90, 790, 140) },
      { label: 'company', box: ratioBox(90, 40, 500, 90) },
    ];

    // Act
    const result = alignBoxes([receipt, second], boxes);

    // Assess
    expect(result.labels).toHaveLength(14);
    expect(result.labels[13]).toBe('B-TOTAL');
    expect(result.labels[9]).toBe('O'); // the same place on page 1 is not labelled
    expect(result.labels.slice(0, 3)).toEqual(['B-COMPANY', 'I-COMPANY', 'I-COMPANY']);
  });
});

describe('alignWords', () => {
  it('matches words with boxes by position, even when the OCR split or merged them', () => {
    // Prepare: the OCR split "3.20" into "3." "20" and merged "TOTAL:7.70"
    const ocr = page(1, [
      ['OAT', 100, 200, 160, 230],
      ['3.', 700, 200, 735, 230],
      ['20', 740, 200, 780, 230],
      ['TOTAL:7.70', 100, 400, 400, 430],
    ]);
    const words: LabelledWord[] = [
      { text: 'OAT', label: 'item_name', box: ratioBox(98, 198, 162, 232) },
      { text: '3.20', label: 'item_price', box: ratioBox(698, 198, 782, 232) },
      { text: 'TOTAL:7.70', label: 'total', box: ratioBox(100, 400, 400, 430) },
    ];

    // Act
    const result = alignWords([ocr], words);

    // Assess
    expect(result.labels).toEqual(['B-ITEM_NAME', 'B-ITEM_PRICE', 'I-ITEM_PRICE', 'B-TOTAL']);
    expect(result.unaligned).toEqual([]);
  });

  it('reports a word whose box holds different text, and leaves those OCR words O', () => {
    // Prepare
    const words: LabelledWord[] = [{ text: 'SOURDOUGH', label: 'item_name', box: ratioBox(98, 198, 162, 232) }];

    // Act
    const result = alignWords([receipt], words);

    // Assess
    expect(result.labels.every((l) => l === 'O')).toBe(true);
    expect(result.unaligned).toEqual([{ field: 'item_name', value: 'SOURDOUGH', reason: 'text_mismatch' }]);
  });

  it('matches words without boxes by text in reading order, tolerating an OCR slip', () => {
    // Prepare: "HER0N" read with a zero; the second "TOTAL" must be the later one
    const ocr = page(1, [
      ['SUBTOTAL', 100, 300, 260, 330],
      ['7.70', 700, 300, 780, 330],
      ['TOTAL', 100, 400, 220, 430],
      ['7.70', 700, 400, 780, 430],
      ['HER0N', 100, 500, 200, 530],
    ]);
    const words: LabelledWord[] = [
      { text: 'TOTAL', label: 'question' },
      { text: '7.70', label: 'answer' },
      { text: 'HERON', label: 'other_name' },
    ];

    // Act
    const result = alignWords([ocr], words);

    // Assess
    expect(result.labels).toEqual(['O', 'O', 'B-QUESTION', 'B-ANSWER', 'B-OTHER_NAME']);
  });

  it('takes the exact match over a closer span that starts on a stray OCR token', () => {
    // Prepare: the OCR read a speck before the amount as "a"; "a $83.07" is close to "$83.07" too
    const ocr = page(1, [
      ['SUBTOTAL', 100, 300, 260, 330],
      ['a', 480, 300, 500, 330],
      ['$83.07', 700, 300, 790, 330],
    ]);
    const words: LabelledWord[] = [{ text: '$83.07', label: 'subtotal' }];

    // Act
    const result = alignWords([ocr], words);

    // Assess
    expect(result.labels).toEqual(['O', 'O', 'B-SUBTOTAL']);
  });

  it('groups words into entities by entity id, else by consecutive words of one label', () => {
    // Prepare: two answers side by side (ids 1 and 2); a question in two words without ids
    const ocr = page(1, [
      ['Date', 100, 100, 160, 120],
      ['of', 165, 100, 190, 120],
      ['issue', 195, 100, 260, 120],
      ['14', 300, 100, 330, 120],
      ['March', 335, 100, 400, 120],
    ]);
    const words: LabelledWord[] = [
      { text: 'Date', label: 'question' },
      { text: 'of', label: 'question' },
      { text: 'issue', label: 'question' },
      { text: '14', label: 'answer', entity: 1 },
      { text: 'March', label: 'answer', entity: 2 },
    ];

    // Act
    const result = alignWords([ocr], words);

    // Assess
    expect(result.labels).toEqual(['B-QUESTION', 'I-QUESTION', 'I-QUESTION', 'B-ANSWER', 'B-ANSWER']);
  });

  it('reports words it cannot find, words whose OCR words another word took, and missing pages', () => {
    // Prepare
    const words: LabelledWord[] = [
      { text: 'TOTAL', label: 'question' },
      { text: 'TOTAL', label: 'question' }, // only one "TOTAL" on the page
      { text: 'CHANGE', label: 'question' },
      { text: 'TOTAL', label: 'question', page: 2 },
    ];

    // Act
    const result = alignWords([receipt], words);

    // Assess
    expect(result.aligned).toEqual([{ field: 'question', value: 'TOTAL', wordIndexes: [8] }]);
    expect(result.unaligned).toEqual([
      { field: 'question', value: 'TOTAL', reason: 'overlap' },
      { field: 'question', value: 'CHANGE', reason: 'not_found' },
      { field: 'question', value: 'TOTAL', reason: 'page_not_found' },
    ]);
  });
});

describe('alignAnnotation', () => {
  it('dispatches each kind and reports in one shape', () => {
    // Act
    const fields = alignAnnotation([receipt], { schemaVersion: 1, fields: { total: '7.70', company: 'NOWHERE LTD' } });
    const boxes = alignAnnotation([receipt], { schemaVersion: 1, boxes: [{ label: 'total', box: ratioBox(690, 390, 790, 440) }] });
    const words = alignAnnotation([receipt], {
      schemaVersion: 1,
      words: [
        { text: 'THANK', label: 'footer' },
        { text: 'YOU', label: 'footer' },
      ],
    });

    // Assess
    expect(fields.labels[9]).toBe('B-TOTAL');
    expect(fields.aligned.map((a) => a.field)).toEqual(['total']);
    expect(fields.unaligned).toEqual([{ field: 'company', value: 'NOWHERE LTD', reason: 'not_found' }]);
    expect(boxes.labels[9]).toBe('B-TOTAL');
    expect(words.labels.slice(10)).toEqual(['B-FOOTER', 'I-FOOTER']);
  });
});
