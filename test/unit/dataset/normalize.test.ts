import { describe, expect, it } from 'vitest';
import {
  amountsEqual,
  compareDates,
  dateOrderOf,
  datesEqual,
  findDates,
  foldShapes,
  normalizeToken,
  parseAmount,
  parseDate,
  valueKind,
} from '../../../src/dataset/normalize';

const amount = (text: string) => {
  const parsed = parseAmount(text);
  if (!parsed) throw new Error(`not an amount: ${text}`);
  return parsed;
};
const date = (text: string) => {
  const parsed = parseDate(text);
  if (!parsed) throw new Error(`not a date: ${text}`);
  return parsed;
};
const sameAmount = (annotated: string, printed: string): boolean => {
  const p = parseAmount(printed);
  return p !== undefined && amountsEqual(amount(annotated), p);
};
const sameDate = (annotated: string, printed: string): boolean => findDates(printed).some((d) => datesEqual(date(annotated), d));

describe('parseAmount / amountsEqual', () => {
  it.each([
    ['9.00', 'RM 9.00'],
    ['9.00', 'RM9.00'],
    ['9.00', '9.0'],
    ['RM 9.00', '9.00'],
    ['9', '9.00'],
    ['1234.50', '1,234.50'],
    ['1,234.50', '1.234,50'],
    ['118.37', '118,37'],
    ['0.62', '0.6Z'],
    ['20.00', '2O.00'],
    ['$8.20', '$8.20'],
    ['18.00', '/18.00'],
    ['71.00', '71.00(S)'],
    ['-0.02', '-0.02'],
    ['12.50', 'USD 12.50'],
    ['1234567.89', '1,234,567.89'],
  ])('%s is printed as %s', (annotated, printed) => {
    expect(sameAmount(annotated, printed)).toBe(true);
  });

  it.each([
    ['118.32', '118,37', 'one digit off'],
    ['9.00', '9', 'a print without decimals is a quantity, not the amount'],
    ['9.00', '90.0', 'the decimal point moved'],
    ['9.00', '-9.00', 'the sign differs'],
    ['1234.50', '12,34.50', 'thousands must group by three'],
    ['14.10', '14_.1p', 'noise inside the number'],
    ['64.15', '64.13', 'a wrong cent'],
  ])('%s is not %s (%s)', (annotated, printed) => {
    expect(sameAmount(annotated, printed)).toBe(false);
  });

  it('reads only what can be a number', () => {
    expect(parseAmount('TOTAL')).toBeUndefined();
    expect(parseAmount('64 13')).toBeUndefined();
    expect(parseAmount('9..00')).toBeUndefined();
    expect(parseAmount('TOTAL9.00')).toBeUndefined();
    expect(amount('RM 1,234.50')).toEqual({ negative: false, integer: '1234', fraction: '5', hasDecimals: true });
  });
});

describe('parseDate / findDates / datesEqual', () => {
  it.each([
    ['11/5/2018', '11/05/2018'],
    ['11/05/2018', '11-5-2018'],
    ['25/12/2018', '25.12.2018'],
    ['25/12/2018', '25/12/18'],
    ['05-JAN-2018', '05/01/2018'],
    ['05-JAN-2018', '5 Jan 2018'],
    ['10 MAR 2018', '10-Mar-18'],
    ['10 MAR 2018', 'March 10, 2018'],
    ['2018/02/22', '2018-02-22'],
    ['20/12/2018', '2O/12/2O18'],
    ['25/12/2018', 'Date:25/12/2018 20:13'],
    ['2018-01-05', '[Sales]2018-01-05 22:55:25'],
  ])('%s is printed as %s', (annotated, printed) => {
    expect(sameDate(annotated, printed)).toBe(true);
  });

  it.each([
    ['22/12/2017', '23/12/2017', 'one day off'],
    ['14 MAR 2018', '14 Mar 2618', 'another year'],
    ['01/02/2018', '02/01/2018', 'day and month swapped, both readings ambiguous'],
    ['25/12/2018', '25/12/2017 25/11/2018', 'neither date'],
    ['25/12/2018', '03-51213881', 'a phone number'],
    ['20180304', '2018030510100030498', 'digits inside an invoice number'],
  ])('%s is not %s (%s)', (annotated, printed) => {
    expect(sameDate(annotated, printed)).toBe(false);
  });

  it.each([
    ['2018-03-10', '10/03/2018', 'dmy'],
    ['20180304', '04/03/2018', 'dmy'],
    ['2014-03-04', '03/04/2014', 'mdy'],
  ] as const)('%s is printed as %s in a %s document, and only ambiguously in a document that does not say', (annotated, printed, order) => {
    const found = findDates(printed);
    expect(found.map((d) => compareDates(date(annotated), d, order))).toEqual(['same']);
    expect(found.map((d) => compareDates(date(annotated), d))).toEqual(['ambiguous']);
    expect(found.map((d) => compareDates(date(annotated), d, order === 'dmy' ? 'mdy' : 'dmy'))).toEqual(['different']);
  });

  it("tells a document's day/month order from the dates it prints, and only when they agree", () => {
    expect(dateOrderOf(findDates('03/04/2014 due 25/04/2014'))).toBe('dmy');
    expect(dateOrderOf(findDates('03/04/2014 due 04/25/2014'))).toBe('mdy');
    expect(dateOrderOf(findDates('03/04/2014 2014-04-25 3 April 2014'))).toBeUndefined();
    expect(dateOrderOf(findDates('25/04/2014 04/25/2014'))).toBeUndefined();
  });

  it('knows which calendar dates a print can mean', () => {
    expect(date('11/5/2018').readings).toEqual(['2018-05-11', '2018-11-05']);
    expect(date('13/5/2018').readings).toEqual(['2018-05-13']);
    expect(parseDate('31/02/2018')).toBeUndefined();
    expect(parseDate('Date: 25/12/2018')).toBeUndefined();
  });
});

describe('valueKind', () => {
  it.each([
    ['9.00', 'amount'],
    ['RM 9', 'amount'],
    ['1,234', 'amount'],
    ['25/12/2018', 'date'],
    ['05-JAN-2018', 'date'],
    ['12', 'number'],
    ['001006288894', 'number'],
    ['BOOK TA .K (TAMAN DAYA) SDN BHD', 'text'],
    ['NO.53 55,57 & 59, JALAN SAGU 18', 'text'],
  ])('%s is %s', (value, kind) => {
    expect(valueKind(value)).toBe(kind);
  });
});

describe('normalizeToken / foldShapes', () => {
  it('ignores case, accents, punctuation and spacing', () => {
    expect(normalizeToken('Café, St.')).toBe('cafest');
  });

  it('folds digits and letters OCR confuses, and nothing else', () => {
    expect(foldShapes(normalizeToken('SE11A'))).toBe('seiia');
    expect(foldShapes('99speedmart5b')).toBe(foldShapes('99speedmartsb'));
    expect(foldShapes('b00k')).toBe(foldShapes('book'));
    expect(foldShapes('market')).toBe('market');
    expect(foldShapes('3')).not.toBe(foldShapes('8'));
  });
});
