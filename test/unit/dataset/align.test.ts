import { describe, expect, it } from 'vitest';
import { alignFields, similarity } from '../../../src/dataset/index';

const words = (text: string) => text.split(' ').map((t) => ({ text: t }));

/** label per word as "word/LABEL" for readable failures. */
const tagged = (ws: { text: string }[], labels: string[]) => ws.map((w, i) => `${w.text}/${labels[i]}`);

describe('alignFields', () => {
  it('labels a receipt BIO, matching amounts with currency symbols and case-insensitive text', () => {
    // Prepare
    const ws = words('Blue Heron Market 12 HARBOUR ST, PORTSMOUTH OAT MILK $3.20 SUBTOTAL 3.20 TOTAL 3.20');
    const fields = {
      company: 'BLUE HERON MARKET',
      address: '12 HARBOUR ST, PORTSMOUTH',
      item_name: ['OAT MILK'],
      item_price: ['3.20'],
      subtotal: '3.20',
      total: '3.20',
    };

    // Act
    const { labels, unaligned } = alignFields(ws, fields);

    // Assess
    expect(tagged(ws, labels)).toEqual([
      'Blue/B-COMPANY', 'Heron/I-COMPANY', 'Market/I-COMPANY',
      '12/B-ADDRESS', 'HARBOUR/I-ADDRESS', 'ST,/I-ADDRESS', 'PORTSMOUTH/I-ADDRESS',
      'OAT/B-ITEM_NAME', 'MILK/I-ITEM_NAME', '$3.20/B-ITEM_PRICE',
      'SUBTOTAL/O', '3.20/B-SUBTOTAL', 'TOTAL/O', '3.20/B-TOTAL',
    ]);
    expect(unaligned).toEqual([]);
  });

  it('tolerates OCR character errors in text and a value token split or merged across words', () => {
    // Prepare
    const ws = words('SOURD0UGH LOAF BLUEHERON MAR KET');
    const fields = { item_name: 'SOURDOUGH LOAF', company: 'BLUE HERON MARKET' };

    // Act
    const { labels } = alignFields(ws, fields);

    // Assess
    expect(labels).toEqual(['B-ITEM_NAME', 'I-ITEM_NAME', 'B-COMPANY', 'I-COMPANY', 'I-COMPANY']);
  });

  it('matches numbers only exactly (after digit look-alikes and decimal commas), never one digit off', () => {
    // Prepare
    const ws = words('TAX 0.6Z TOTAL 118,37 RM4.50');
    const fields = { tax: '0.62', total: '118.32', item_price: ['4.50'] };

    // Act
    const { labels, unaligned } = alignFields(ws, fields);

    // Assess
    expect(labels).toEqual(['O', 'B-TAX', 'O', 'O', 'B-ITEM_PRICE']);
    expect(unaligned).toEqual([{ field: 'total', value: '118.32', reason: 'not_found' }]);
  });

  it('gives repeated values successive occurrences in document order', () => {
    // Prepare
    const ws = words('COKE 1.50 COKE 1.50 TOTAL 3.00');
    const fields = { item_name: ['COKE', 'COKE'], item_price: ['1.50', '1.50'], total: '3.00' };

    // Act
    const { spans } = alignFields(ws, fields);

    // Assess
    expect(spans.map((s) => [s.field, s.start])).toEqual([
      ['item_name', 0],
      ['item_price', 1],
      ['item_name', 2],
      ['item_price', 3],
      ['total', 5],
    ]);
  });

  it('lets the longer value keep a word that a shorter value would also match', () => {
    // Prepare: the item "TEA" is inside the fuzzy-matched company name and also printed later.
    const ws = words('TEA HOUSE CAFF TEA 2.00');
    const fields = { item_name: ['TEA'], company: 'TEA HOUSE CAFE' };

    // Act
    const { labels } = alignFields(ws, fields);

    // Assess
    expect(labels).toEqual(['B-COMPANY', 'I-COMPANY', 'I-COMPANY', 'B-ITEM_NAME', 'O']);
  });

  it('reports values it cannot place, with the reason, in annotation order', () => {
    // Prepare: the second "5.00" has nowhere left to go.
    const ws = words('TOTAL 5.00');
    const fields = { note: ' ', subtotal: '5.00', total: '5.00', company: 'NOWHERE INC' };

    // Act
    const { labels, unaligned } = alignFields(ws, fields);

    // Assess
    expect(labels).toEqual(['O', 'B-SUBTOTAL']);
    expect(unaligned).toEqual([
      { field: 'note', value: ' ', reason: 'empty_value' },
      { field: 'total', value: '5.00', reason: 'overlap' },
      { field: 'company', value: 'NOWHERE INC', reason: 'not_found' },
    ]);
  });

  it('does not label punctuation-only words at the edges of a span', () => {
    // Prepare
    const ws = words('- OAT MILK -');

    // Act
    const { labels } = alignFields(ws, { item_name: 'OAT MILK' });

    // Assess
    expect(labels).toEqual(['O', 'B-ITEM_NAME', 'I-ITEM_NAME', 'O']);
  });
});

describe('similarity', () => {
  it('is 1 for equal strings and drops with edits', () => {
    expect(similarity('market', 'market')).toBe(1);
    expect(similarity('market', 'markct')).toBeCloseTo(5 / 6);
    expect(similarity('', '')).toBe(1);
  });
});
