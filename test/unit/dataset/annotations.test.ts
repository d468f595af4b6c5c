import { describe, expect, it } from 'vitest';
import { annotationSchema, labelForField } from '../../../src/dataset/index';

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

describe('labelForField', () => {
  it('upper-cases the key', () => {
    expect(labelForField('item_name')).toBe('ITEM_NAME');
    expect(labelForField('total2')).toBe('TOTAL2');
  });

  it('refuses a key outside the pattern', () => {
    expect(() => labelForField('Item')).toThrow(RangeError);
  });
});
