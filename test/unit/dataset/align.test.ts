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
      'Blue/B-COMPANY',
      'Heron/I-COMPANY',
      'Market/I-COMPANY',
      '12/B-ADDRESS',
      'HARBOUR/I-ADDRESS',
      'ST,/I-ADDRESS',
      'PORTSMOUTH/I-ADDRESS',
      'OAT/B-ITEM_NAME',
      'MILK/I-ITEM_NAME',
      '$3.20/B-ITEM_PRICE',
      'SUBTOTAL/O',
      '3.20/B-SUBTOTAL',
      'TOTAL/O',
      '3.20/B-TOTAL',
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

  it('matches numbers exactly (after digit look-alikes and decimal commas), and one digit off only after the field name', () => {
    // Prepare: 118,37 is one digit off 118.32, but nothing on the page says it is the total.
    const ws = words('TAX 0.6Z PAID 118,37 RM4.50');
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

describe('alignFields on real-receipt shapes', () => {
  it.each([
    ['11/5/2018', 'Date: 11/05/2018 20:13', ['O', 'B-DATE', 'O']],
    ['05-JAN-2018', 'DATE 05/01/2018', ['O', 'B-DATE']],
    ['10 MAR 2018', 'UNIHAKKA 10 Mar 2018 18:40', ['O', 'B-DATE', 'I-DATE', 'I-DATE', 'O']],
    ['25/12/2018', 'DATE 2512/2018', ['O', 'B-DATE']],
    ['2018-01-05', '[Sales]2018-01-05 22:55:25', ['B-DATE', 'O']],
    ['20180304', 'GST No. : 04/03/2018 15:41:52 DUE 28/03/2018', ['O', 'O', 'O', 'B-DATE', 'O', 'O', 'O']],
    ['20180304', 'DATE 20180304', ['O', 'B-DATE']],
  ])('finds the date %s in "%s"', (value, text, expected) => {
    expect(alignFields(words(text), { date: value }).labels).toEqual(expected);
  });

  it('places an ISO date printed day/month-ambiguously by the order the user set, and reports it unplaced without one', () => {
    // Prepare: the page's only date reads 4 March or 3 April.
    const ws = words('GST No. : 04/03/2018 15:41:52');
    // Act
    const unset = alignFields(ws, { date: '2018-03-04' });
    const dayFirst = alignFields(ws, { date: '2018-03-04' }, { dateOrder: 'dmy' });
    const monthFirst = alignFields(ws, { date: '2018-03-04' }, { dateOrder: 'mdy' });
    // Assess
    expect(unset.unaligned).toEqual([{ field: 'date', value: '2018-03-04', reason: 'ambiguous_date' }]);
    expect(dayFirst.labels).toEqual(['O', 'O', 'O', 'B-DATE', 'O']);
    expect(monthFirst.unaligned).toEqual([{ field: 'date', value: '2018-03-04', reason: 'not_found' }]);
  });

  it.each([
    ['01/02/2018', 'Date: 02/01/2018'],
    ['22/12/2017', 'PRINTED 23/12/2017 DUE 21/12/2017'],
  ])('never places the date %s on a different date in "%s"', (value, text) => {
    expect(alignFields(words(text), { date: value }).unaligned).toEqual([{ field: 'date', value, reason: 'not_found' }]);
  });

  it.each([
    ['22/12/2017', 'Date: 23/12/2017', ['O', 'B-DATE']],
    ['22/12/2017', 'Dale: 23/12/2017 12:00', ['O', 'B-DATE', 'O']],
    ['14 MAR 2018', 'UNIHAKKA 14 Mar 2618 18:40', ['O', 'B-DATE', 'I-DATE', 'I-DATE', 'O']],
    ['09/03/2018', 'Data: 00/03/2018', ['O', 'B-DATE']],
  ])(
    'places the date %s on its print with one digit misread in "%s" (after the field name, or the only such date)',
    (value, text, expected) => {
      const { labels, spans } = alignFields(words(text), { date: value });
      expect(labels).toEqual(expected);
      expect(spans.map((s) => s.match)).toEqual(['ocr_tolerant']);
    },
  );

  it.each([
    ['9.00', 'TOTAL RM 9.0', ['O', 'O', 'B-TOTAL']],
    ['RM 9.00', 'TOTAL RM9.00', ['O', 'B-TOTAL']],
    ['1234.50', 'TOTAL 1,234.50', ['O', 'B-TOTAL']],
    ['71.00', 'TOTAL 71.00(S)', ['O', 'B-TOTAL']],
    ['6.00', 'TOTAL 6. 00', ['O', 'B-TOTAL', 'I-TOTAL']],
    ['$8.20', 'Nett Total: $820', ['O', 'O', 'B-TOTAL']],
  ])('finds the amount %s in "%s"', (value, text, expected) => {
    expect(alignFields(words(text), { total: value }).labels).toEqual(expected);
  });

  it.each([
    ['9.00', 'QTY 9 TOTAL 90.0'],
    ['64.15', 'CASH RM 64.13'],
    ['14.10', 'TOTAL RM 14_.1p'],
    ['15.00', 'lotal Qty = 1.00'],
  ])('never places the amount %s on another number in "%s"', (value, text) => {
    expect(alignFields(words(text), { total: value }).unaligned).toEqual([{ field: 'total', value, reason: 'not_found' }]);
  });

  it.each([
    ['64.15', 'TOTAL RM 64.13', ['O', 'O', 'B-TOTAL']],
    ['112.45', 'Total (RM) © 112.46 CASH 112.48', ['O', 'O', 'O', 'B-TOTAL', 'O', 'O']],
    ['37.10', 'Total: RM E7.10', ['O', 'O', 'B-TOTAL']],
    ['88.95', 'lotal Atter 83.95', ['O', 'O', 'B-TOTAL']],
  ])('places the amount %s on its print with one digit misread after the field name in "%s"', (value, text, expected) => {
    const { labels, spans } = alignFields(words(text), { total: value });
    expect(labels).toEqual(expected);
    expect(spans.map((s) => s.match)).toEqual(['ocr_tolerant']);
  });

  it('places a number with one digit misread after its field name, and nowhere else', () => {
    // Prepare: the receipt number 004512 printed as 004612 after "Invoice No:", and another number one digit off.
    const ws = words('Table 004513 Invoice No: 004612');

    // Act
    const { spans } = alignFields(ws, { invoice_number: '004512' });

    // Assess
    expect(spans.map((s) => [s.start, s.match])).toEqual([[4, 'ocr_tolerant']]);
  });

  it.each([
    // (the '#' is punctuation only: never at a span's edge)
    [
      '#BLR_WFLD20151000982590',
      'Invoice No: # BLR WFLD20151000962590 Order ID: OD304175096047380001',
      ['O', 'O', 'O', 'B-INVOICE_NUMBER', 'I-INVOICE_NUMBER', 'O', 'O', 'O'],
    ],
    ['INV-2014-0815', 'Invoice # INV 2014-0B16 Page 1', ['O', 'O', 'B-INVOICE_NUMBER', 'I-INVOICE_NUMBER', 'O', 'O']],
    ['BLR_WFLD20151000982590', 'Page 1 BLR WFLD20151000962590', ['O', 'O', 'B-INVOICE_NUMBER', 'I-INVOICE_NUMBER']],
  ])(
    'places the identifier %s on its print with one character misread in "%s" (named, or long and the only such print)',
    (value, text, expected) => {
      const { labels, spans } = alignFields(words(text), { invoice_number: value });
      expect(labels).toEqual(expected);
      expect(spans.map((s) => s.match)).toEqual(['ocr_tolerant']);
    },
  );

  it.each([
    ['INV-2014-0815', 'Page 1 INV 2014-0816'],
    ['INV-0815', 'Invoice # INV-0816'],
    ['ORDER-2015100011112', 'REF 2015100011113 REF 2015100011114'],
  ])('never places the identifier %s one character off when short, unnamed or printed twice: "%s"', (value, text) => {
    expect(alignFields(words(text), { invoice_number: value }).unaligned).toEqual([
      { field: 'invoice_number', value, reason: 'not_found' },
    ]);
  });

  it('finds the field name earlier on the printed line when the words have boxes', () => {
    // Prepare: five words between TOTAL and the amount, all on one line; the next line has another amount.
    const line = (texts: string[], y: number) => texts.map((text, i) => ({ text, box: [i * 100, y, i * 100 + 90, y + 20] }));
    const ws = [...line(['Total', 'Sales', '(Inclusive', 'of', 'GST)', '64.50'], 100), ...line(['CASH', '54.60'], 130)];

    // Act
    const { labels, spans } = alignFields(ws, { total: '54.50' });

    // Assess: 64.50 (same line as Total), not 54.60 (one digit off too, but after CASH).
    expect(labels).toEqual(['O', 'O', 'O', 'O', 'O', 'B-TOTAL', 'O', 'O']);
    expect(spans[0]?.match).toBe('ocr_tolerant');
  });

  it('follows a skewed printed line word by word to the field name', () => {
    // Prepare: each word sits 2 units higher than the one before; "Total" and the amount share no height.
    const ws = ['Total', 'Sales', '(Inclusive', 'of', 'GST)', ':', '100.80'].map((text, i) => ({
      text,
      box: [i * 50, 560 - 2 * i, i * 50 + 40, 569 - 2 * i],
    }));

    // Act
    const { spans } = alignFields(ws, { total: '100.90' });

    // Assess
    expect(spans.map((s) => [s.start, s.match])).toEqual([[6, 'ocr_tolerant']]);
  });

  it.each([
    ['SUBTOTAL 9.00 TOTAL 9.00', 3],
    ['SUB TOTAL : 20.00 GRAND TOTAL : 20.00', 7],
    ['Sub-total 5.90 Total (RM) 5.90', 4],
    ['GRANDTOTAL 9.00 CASH 9.00', 1],
    ['ITEM 10.00 SUBTOTAL 10.00 CHANGE DUE 10.00', 3],
  ])('gives equal prints to the plainest name of the field in "%s"', (text, index) => {
    const { spans } = alignFields(words(text), { total: text.split(' ')[index] as string });
    expect(spans.map((s) => s.start)).toEqual([index]);
  });

  it('takes a print one digit off after a compound name of the field (SUBTOTAL) in the OCR-tolerant pass', () => {
    const { labels, spans } = alignFields(words('SUBTOTAL 26.70 RM CASH 100.00'), { total: '28.70' });
    expect(labels).toEqual(['O', 'B-TOTAL', 'O', 'O', 'O']);
    expect(spans[0]?.match).toBe('ocr_tolerant');
  });

  it('tolerates OCR misreads only for values no exact print matches, and never on words an exact value took', () => {
    // Prepare: the subtotal 15.90 is printed exactly; the total 15.00 was misread as 15.90.
    const ws = words('TOTAL 15.90 TOTAL 15.90 CASH 20.00');

    // Act
    const { spans } = alignFields(ws, { subtotal: '15.90', total: '15.00' });

    // Assess: the subtotal takes the first 15.90 (exact, earliest); the tolerant pass places the total on
    // the one left after TOTAL.
    expect(spans.map((s) => [s.field, s.start, s.match])).toEqual([
      ['subtotal', 1, 'exact'],
      ['total', 3, 'ocr_tolerant'],
    ]);
  });

  it('finds an amount split into three words at its decimal point', () => {
    expect(alignFields(words('Grand Total m39 . 00 (Bill'), { total: 'RM39.00' }).labels).toEqual([
      'O',
      'O',
      'B-TOTAL',
      'I-TOTAL',
      'I-TOTAL',
      'O',
    ]);
  });

  it('reads a long text value with OCR misreads at the lower tolerant similarity, short ones only exactly', () => {
    // Prepare: "PERNIAGAAN ZHENG HUI" read with several characters wrong; "ABC" read as "ABD".
    const ws = words('PERNIAGN ZHANC HU1 NO.59 JALAN ABD');

    // Act
    const { spans, unaligned } = alignFields(ws, { company: 'PERNIAGAAN ZHENG HUI', code: 'ABC' });

    // Assess
    expect(spans.map((s) => [s.field, s.start, s.end, s.match])).toEqual([['company', 0, 3, 'ocr_tolerant']]);
    expect(unaligned).toEqual([{ field: 'code', value: 'ABC', reason: 'not_found' }]);
  });

  it('prefers the exact print of an amount to one that lost its decimal point', () => {
    const { labels } = alignFields(words('ITEM 820 TOTAL $8.20'), { total: '8.20' });
    expect(labels).toEqual(['O', 'O', 'O', 'B-TOTAL']);
  });

  it('gives an equal amount to the occurrence after a word naming the field', () => {
    // Prepare: the total is printed as subtotal first, then after TOTAL, then as cash.
    const ws = words('SUB-TOTAL 9.00 TAX 0.00 TOTAL : 9.00 CASH 9.00');
    // Act
    const { labels } = alignFields(ws, { total: '9.00' });
    // Assess
    expect(tagged(ws, labels).filter((t) => !t.endsWith('/O'))).toEqual(['9.00/B-TOTAL']);
    expect(labels.indexOf('B-TOTAL')).toBe(6);
  });

  it('matches a name through OCR look-alikes (0/O, 1/I, 5/S, 8/B)', () => {
    const ws = words('29 SPEED MART 5/8 (519537-X)');
    expect(alignFields(ws, { company: '99 SPEED MART S/B' }).labels).toEqual(['B-COMPANY', 'I-COMPANY', 'I-COMPANY', 'I-COMPANY', 'O']);
  });

  it('matches an address whose lines OCR read in another order, token by token', () => {
    // Prepare: the address's first line came after its second in reading order.
    const ws = words('TEL 03-3271 JALAN KAPAR, 42200 KLANG, NO.23 BATU 10, TAMAN SENTOSA GST NO 0001');
    // Act
    const { labels, unaligned } = alignFields(ws, { address: 'NO.23 BATU 10, TAMAN SENTOSA, JALAN KAPAR, 42200 KLANG, SELANGOR.' });
    // Assess
    expect(unaligned).toEqual([]);
    expect(
      tagged(ws, labels)
        .filter((t) => !t.endsWith('/O'))
        .map((t) => t.split('/')[0]),
    ).toEqual(['JALAN', 'KAPAR,', '42200', 'KLANG,', 'NO.23', 'BATU', '10,', 'TAMAN', 'SENTOSA']);
    expect(labels[2]).toBe('B-ADDRESS');
  });

  it('does not place a long value on a window that shares only some of its words', () => {
    const ws = words('JALAN BESAR 45600 TEL 03-3271 9872 THANK YOU COME AGAIN');
    const fields = { address: 'NO. 53, JALAN BESAR, 45600 BATANG BERJUNTAI SELANGOR DARUL EHSAN' };
    expect(alignFields(ws, fields).unaligned).toEqual([{ field: 'address', value: fields.address, reason: 'not_found' }]);
  });

  it('aligns nothing when the annotation belongs to another document', () => {
    const ws = words('BOOK TA .K (TAMAN DAYA) SDN BHD 25/12/2018 TOTAL 9.00');
    const { spans, unaligned } = alignFields(ws, { company: 'INDAH GIFT & HOME DECO', date: '19/10/2018', total: '60.30' });
    expect(spans).toEqual([]);
    expect(unaligned.map((u) => u.reason)).toEqual(['not_found', 'not_found', 'not_found']);
  });
});

describe('similarity', () => {
  it('is 1 for equal strings and drops with edits', () => {
    expect(similarity('market', 'market')).toBe(1);
    expect(similarity('market', 'markct')).toBeCloseTo(5 / 6);
    expect(similarity('', '')).toBe(1);
  });
});
