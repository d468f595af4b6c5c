/**
 * The value rules' golden table (test/fixtures/value-cases.json), run against the dataset builder's rules;
 * training-image/tests/test_value_cases.py runs the same table against the trainer's (value_rules.py,
 * field_names.py), so a rule changed on one side only fails on the other.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { VALUE_RULES } from '../../../src/contracts/value-rules';
import { wordGrade } from '../../../src/dataset/field-names';
import {
  amountsEqual,
  compareDates,
  dateOrderOf,
  findDates,
  identifiersEqual,
  normalizeToken,
  parseAmount,
  parseDate,
  sameAmount,
  valueKind,
} from '../../../src/dataset/normalize';
import { VALUE_WORDS } from '../../../src/dataset/value-words';

const order = z.enum(['dmy', 'mdy']).nullable();
const casesSchema = z.strictObject({
  schemaVersion: z.literal(1),
  description: z.string(),
  dates: z.array(
    z.strictObject({
      value: z.string(),
      print: z.string(),
      order,
      expect: z.enum(['same', 'ambiguous', 'different']),
      note: z.string().optional(),
    }),
  ),
  notDates: z.array(z.string()),
  amounts: z.array(
    z.strictObject({ value: z.string(), print: z.string(), same: z.boolean(), asPrinted: z.boolean(), note: z.string().optional() }),
  ),
  notAmounts: z.array(z.string()),
  kinds: z.array(z.tuple([z.string(), z.enum(['amount', 'date', 'identifier', 'number', 'text'])])),
  identifiers: z.array(z.tuple([z.string(), z.string(), z.boolean()])),
  nameGrades: z.array(
    z.strictObject({
      field: z.string(),
      words: z.array(z.string()),
      index: z.number().int().min(0),
      grade: z.number().int(),
      note: z.string().optional(),
    }),
  ),
  dateOrders: z.array(z.strictObject({ text: z.string(), order })),
});

const CASES = casesSchema.parse(JSON.parse(readFileSync(path.resolve(__dirname, '../../fixtures/value-cases.json'), 'utf8')));

/** compareDates of the value with the date the whole print is; `different` when the print is no date. */
const compared = (value: string, print: string, dateOrder: 'dmy' | 'mdy' | null): string => {
  const annotated = parseDate(value);
  if (annotated === undefined) throw new Error(`the value ${value} is no date`);
  const printed = parseDate(print);
  return printed === undefined ? 'different' : compareDates(annotated, printed, dateOrder ?? undefined);
};

describe('the golden value table (shared with pytest)', () => {
  it('holds hundreds of cases, a date in every month name of every language of the table, and each amount form', () => {
    expect(CASES.dates.length + CASES.amounts.length).toBeGreaterThan(500);
    for (const [language, months] of Object.entries(VALUE_RULES.months)) {
      for (const name of months.flat()) {
        const shown = (p: string) => normalizeToken(p).includes(normalizeToken(name));
        expect(
          CASES.dates.some((c) => c.expect === 'same' && shown(c.print)),
          `${language} ${name}`,
        ).toBe(true);
      }
    }
    for (const form of ['1 939,00', '1.939,00', '1,939.00', '$1,939.00', 'EUR 1.939,-', '1939']) {
      expect(CASES.amounts.some((c) => c.value === '1939.00' && c.print === form && c.same)).toBe(true);
    }
  });

  it.each(CASES.dates)('date $value printed $print (order $order) is $expect', ({ value, print, order: dateOrder, expect: want }) => {
    expect(compared(value, print, dateOrder)).toBe(want);
  });

  it.each(CASES.notDates)('%s is no date', (text) => {
    expect(parseDate(text)).toBeUndefined();
  });

  it.each(CASES.amounts)('amount $value printed $print: same $same, as printed $asPrinted', ({ value, print, same, asPrinted }) => {
    const annotated = parseAmount(value);
    if (annotated === undefined) throw new Error(`the value ${value} is no amount`);
    const printed = parseAmount(print);
    expect(printed !== undefined && sameAmount(annotated, printed)).toBe(same);
    expect(printed !== undefined && amountsEqual(annotated, printed)).toBe(asPrinted);
  });

  it.each(CASES.notAmounts)('%s is no amount', (text) => {
    expect(parseAmount(text)).toBeUndefined();
  });

  it.each(CASES.kinds)('%s is a value of kind %s', (value, kind) => {
    expect(valueKind(value)).toBe(kind);
  });

  it.each(CASES.identifiers)('identifier %s printed %s is the same: %s', (value, print, same) => {
    expect(identifiersEqual(value, print)).toBe(same);
  });

  it.each(CASES.nameGrades)('$words.$index names $field with grade $grade', ({ field, words, index, grade }) => {
    expect(wordGrade(words.map(normalizeToken), index, VALUE_WORDS.fieldNames(field))).toBe(grade);
  });

  it.each(CASES.dateOrders)('the dates of "$text" say $order', ({ text, order: want }) => {
    expect(dateOrderOf(findDates(text)) ?? null).toBe(want);
  });
});
