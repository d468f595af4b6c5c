import { describe, expect, it } from 'vitest';
import { annotationKind, annotationLabelKeys, annotationSchema, labelForField } from '../../../src/dataset/index';
import { describeIssues } from '../../../src/validation';

const valid = {
  schemaVersion: 1,
  fields: { company: 'BLUE HERON MARKET', item_name: ['OAT MILK', 'SOURDOUGH LOAF'], total: '8.32' },
};

describe('annotationSchema', () => {
  it('accepts the contract example', () => {
    // Act
    const result = annotationSchema.safeParse(valid);

    // Assess
    expect(result.success).toBe(true);
  });

  it.each([
    ['an unknown top-level key', { ...valid, extra: true }],
    ['another schema version', { ...valid, schemaVersion: 2 }],
    ['a key with a capital', { schemaVersion: 1, fields: { Company: 'X' } }],
    ['a key starting with a digit', { schemaVersion: 1, fields: { '1total': 'X' } }],
    ['a key with a dash', { schemaVersion: 1, fields: { 'item-name': 'X' } }],
    ['a numeric value', { schemaVersion: 1, fields: { total: 8.32 } }],
    ['an array of numbers', { schemaVersion: 1, fields: { item_price: [1, 2] } }],
    ['no fields', { schemaVersion: 1 }],
  ])('rejects %s', (_name, input) => {
    // Act
    const result = annotationSchema.safeParse(input);

    // Assess
    expect(result.success).toBe(false);
  });
});

const boxes = {
  schemaVersion: 1,
  boxes: [
    { label: 'company', box: { left: 0.1, top: 0.05, width: 0.8, height: 0.04 } },
    { label: 'total', page: 2, box: { left: 0.6, top: 0.9, width: 0.4, height: 0.1 } },
  ],
};
const words = {
  schemaVersion: 1,
  words: [
    { text: 'Date:', label: 'question', entity: 3, box: { left: 0.1, top: 0.2, width: 0.05, height: 0.01 } },
    { text: '2026-03-14', label: 'answer', entity: 'a4' },
    { text: 'TOTAL', label: 'question', page: 2 },
  ],
};

describe('annotationSchema: boxes and words', () => {
  it.each([
    ['labelled boxes', boxes, 'boxes'],
    ['labelled words', words, 'words'],
    ['key fields', valid, 'fields'],
  ])('accepts %s and tells their kind', (_name, input, kind) => {
    // Act
    const annotation = annotationSchema.parse(input);

    // Assess
    expect(annotation).toEqual(input);
    expect(annotationKind(annotation)).toBe(kind);
  });

  it('lists the label keys an annotation uses, each once', () => {
    expect(annotationLabelKeys(annotationSchema.parse(words))).toEqual(['question', 'answer']);
    expect(annotationLabelKeys(annotationSchema.parse(boxes))).toEqual(['company', 'total']);
    expect(annotationLabelKeys(annotationSchema.parse(valid))).toEqual(['company', 'item_name', 'total']);
  });

  it.each([
    [
      'two kinds at once',
      { ...boxes, fields: { total: '1' } },
      '(root): an annotation needs exactly one of "fields", "boxes", "words" or "class"; it has "fields" and "boxes"',
    ],
    ['no kind', { schemaVersion: 1 }, '(root): an annotation needs exactly one of "fields", "boxes", "words" or "class"; it has none'],
    [
      'a box past the right edge',
      { schemaVersion: 1, boxes: [{ label: 'total', box: { left: 0.7, top: 0, width: 0.4, height: 0.1 } }] },
      'boxes.0.box: box must lie within the page',
    ],
    [
      'a box in pixels',
      { schemaVersion: 1, boxes: [{ label: 'total', box: { left: 120, top: 30, width: 40, height: 10 } }] },
      'boxes.0.box.left',
    ],
    [
      'a zero-width box',
      { schemaVersion: 1, boxes: [{ label: 'total', box: { left: 0.1, top: 0.1, width: 0, height: 0.1 } }] },
      'boxes.0.box.width',
    ],
    [
      'a label with a space',
      { schemaVersion: 1, boxes: [{ label: 'Total Amount', box: { left: 0, top: 0, width: 0.1, height: 0.1 } }] },
      'boxes.0.label: labels must match',
    ],
    ['page 0', { schemaVersion: 1, words: [{ text: 'x', label: 'q', page: 0 }] }, 'words.0.page'],
    ['a blank word', { schemaVersion: 1, words: [{ text: '  ', label: 'q' }] }, 'words.0.text: word text must not be blank'],
    ['an unknown key in a word', { schemaVersion: 1, words: [{ text: 'x', label: 'q', bbox: [1, 2, 3, 4] }] }, 'words.0.bbox: unknown key'],
  ])('rejects %s, naming the field', (_name, input, message) => {
    // Act
    const result = annotationSchema.safeParse(input);

    // Assess
    expect(result.success).toBe(false);
    expect(describeIssues(result.error?.issues ?? [])).toContain(message);
  });
});

describe('labelForField', () => {
  it('upper-cases the key', () => {
    expect(labelForField('item_name')).toBe('ITEM_NAME');
    expect(labelForField('total2')).toBe('TOTAL2');
  });

  it('refuses a key outside the pattern', () => {
    expect(() => labelForField('Item')).toThrow(RangeError);
  });
});
