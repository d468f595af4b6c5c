/**
 * Text normalisation for alignment. Three kinds of values, each compared in its own way:
 * - amounts (`RM 9.00`, `9.0`, `1,234.50`, `118,37`): compared as exact decimal numbers, so a currency,
 *   a thousands separator, a decimal comma or a trailing zero never matters and one wrong digit always does;
 * - dates (`11/5/2018`, `11/05/2018`, `05-JAN-2018`, `10 MAR 2018`, `2018-03-10`, `20180310`): compared as calendar
 *   dates, so zero padding, separators, month names and two-digit years never matter, a wrong digit does;
 * - free text (names, addresses): case, diacritics, punctuation and spacing are ignored
 *   (normalizeToken), and similar-looking characters (0/O, 1/I/l, 5/S, 8/B ...) fold together
 *   (foldShapes) before a fuzzy comparison.
 *
 * Written by hand: no library found that parses receipt-printed amounts and dates in all of these
 * shapes without a locale (Intl parses neither; date libraries need the format up front).
 */
import { distance } from 'fastest-levenshtein';
export function normalizeToken(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** OCR confusions between letters and digits, applied only where a number is expected. */
const DIGIT_LOOKALIKES: Readonly<Record<string, string>> = { o: '0', d: '0', q: '0', i: '1', l: '1', z: '2', s: '5', b: '8', g: '9' };

export function asDigits(normalized: string): string {
  // A currency code or prefix glued to the amount ("rm8.32", "usd12") is not part of the value.
  const stripped = /^[a-z]{1,3}(?=[0-9])/.test(normalized) ? normalized.replace(/^[a-z]{1,3}/, '') : normalized;
  return stripped.replace(/[a-z]/g, (c) => DIGIT_LOOKALIKES[c] ?? c);
}

export function isNumeric(normalized: string): boolean {
  return /^[0-9]+$/.test(normalized);
}

/**
 * Digits and letters OCR confuses by shape (0/O, 1/I/l, 5/S, 8/B, 6/G, 2/Z), folded to one
 * representative each, for fuzzy text comparison only (never for amounts or dates). Input is
 * normalizeToken output (a-z0-9).
 */
const SHAPE_CLASSES: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', l: 'i', '5': 's', '8': 'b', '6': 'g', '2': 'z' };

export function foldShapes(normalized: string): string {
  return normalized.replace(/[0-9a-z]/g, (c) => SHAPE_CLASSES[c] ?? c);
}

// ---------------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------------

/** An amount as an exact decimal: integer digits without leading zeros, fraction without trailing zeros. */
export interface Amount {
  readonly negative: boolean;
  readonly integer: string;
  readonly fraction: string;
  /** Whether the text printed a decimal part (`9.00` yes, `9` no). */
  readonly hasDecimals: boolean;
}

const LOOKALIKE_LETTERS = 'oqdilzsbg';
/**
 * What may stand before or after the number in the same word: punctuation (`/18.00`, `71.00(S)`), a
 * currency symbol or code of up to 3 letters (`RM`, `$`, `USD`, a tax code `SR`), a sign.
 */
const PREFIX_PATTERN = /^[^a-z0-9]*(?:(?:[$€£¥₹]|[a-z]{1,3}\$?)\.?)?[^a-z0-9]*$/;
const SUFFIX_PATTERN = /^[^a-z0-9]*(?:[$€£¥₹]|[a-z]{1,3})?[^a-z0-9]*$/;

/**
 * Parses a printed amount: `RM 9.00`, `$1,234.50`, `1.234,50`, `118,37`, `9.0`, `9`, `-0.02`, `12.50-`.
 * The last `.` or `,` followed by one or two digits is the decimal point; other separators group
 * thousands and must group by three. Letters that look like digits inside the number, or glued to its
 * ends, are read as digits (`0.6Z` -> 0.62, `2O.00` -> 20.00); a currency (`RM`, `$`), a tax code
 * (`(SR)`) or punctuation around it is not part of it. Returns undefined for anything else.
 */
export function parseAmount(text: string): Amount | undefined {
  const s = text.normalize('NFKC').toLowerCase().trim();
  let first = s.search(/[0-9]/);
  if (first < 0) return undefined;
  let last = s.length - 1 - [...s].reverse().join('').search(/[0-9]/);
  // One or two look-alike letters glued to the number (and not to a word) are part of it.
  const lead = /(?:^|[^a-z])([oqdilzsbg]{1,2})$/.exec(s.slice(0, first));
  if (lead?.[1] !== undefined) first -= lead[1].length;
  const trail = /^([oqdilzsbg]{1,2})(?:$|[^a-z])/.exec(s.slice(last + 1));
  if (trail?.[1] !== undefined) last += trail[1].length;
  const prefix = PREFIX_PATTERN.exec(s.slice(0, first));
  const suffix = SUFFIX_PATTERN.exec(s.slice(last + 1));
  if (!prefix || !suffix) return undefined;
  const body = s.slice(first, last + 1).replace(/[a-z]/g, (c) => (LOOKALIKE_LETTERS.includes(c) ? (DIGIT_LOOKALIKES[c] ?? c) : c));
  if (!/^[0-9][0-9,.']*$/.test(body) || /[,.']{2}/.test(body)) return undefined;
  let integerPart = body;
  let fraction = '';
  const decimal = /[,.]([0-9]{1,2})$/.exec(body);
  if (decimal?.[1] !== undefined) {
    integerPart = body.slice(0, decimal.index);
    fraction = decimal[1];
  }
  // What is left of the integer part groups thousands: every group after the first has three digits.
  const groups = integerPart.split(/[,.']/);
  if (groups.length > 1 && (groups.slice(1).some((g) => g.length !== 3) || (groups[0] ?? '').length > 3)) return undefined;
  const negative = /-\s*$/.test(s.slice(0, first)) || /^-/.test(s.slice(0, first)) || /^\s*-/.test(s.slice(last + 1));
  return {
    negative,
    integer: groups.join('').replace(/^0+(?=[0-9])/, ''),
    fraction: fraction.replace(/0+$/, ''),
    hasDecimals: decimal !== null,
  };
}

/**
 * Whether a printed amount is the annotated one: the same decimal number; a print without decimals
 * matches only a value without decimals (a quantity `9` is not the amount `9.00`).
 */
export function amountsEqual(annotated: Amount, printed: Amount): boolean {
  if (printed.hasDecimals !== annotated.hasDecimals && !printed.hasDecimals) return false;
  return annotated.integer === printed.integer && annotated.fraction === printed.fraction && annotated.negative === printed.negative;
}

// ---------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------

const MONTH_NAMES: readonly string[] = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** `jan`, `Jan.`, `JANUARY`, `sept` -> 1..12; anything else undefined. */
const monthNumber = (name: string): number | undefined => {
  const lowered = name.toLowerCase().replace(/\.$/, '');
  if (lowered.length < 3) return undefined;
  const index = MONTH_NAMES.findIndex((full) => full.startsWith(lowered));
  return index < 0 ? undefined : index + 1;
};

const fullYear = (year: string): number => {
  const n = Number(year);
  return year.length === 2 ? (n < 70 ? 2000 + n : 1900 + n) : n;
};

const isValidDate = (y: number, m: number, d: number): boolean => {
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
};

/** A printed date: every calendar date it can mean (`01/02/2018` two, `13/02/2018` one). */
export interface ParsedDate {
  /** `yyyy-mm-dd` readings, day-first before month-first. */
  readonly readings: readonly string[];
  /** The printed numbers in print order with month names as numbers and full years, e.g. `11|5|2018`. */
  readonly printed: string;
  /** Where the date starts and ends in the text that was searched. */
  readonly index: number;
  readonly length: number;
}

const iso = (y: number, m: number, d: number): string => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** Digits, or digits with look-alike letters (`2O18`), of a date component. */
const NUM = String.raw`[0-9oOilIzZsSbB]*[0-9][0-9oOilIzZsSbB]*`;
const SEP = String.raw`\s*[\/\-.]\s*`;
const DATE_PATTERNS: readonly {
  regex: RegExp;
  read: (m: RegExpExecArray) => { printed: number[]; readings: [number, number, number][] } | undefined;
}[] = [
  {
    // 2018-03-10, 2018/3/10
    regex: new RegExp(String.raw`(?<![0-9])(${NUM})${SEP}(${NUM})${SEP}(${NUM})(?![0-9])`, 'g'),
    read: (m) => {
      const parts = [m[1], m[2], m[3]].map((p) => digitsOf(p ?? ''));
      const [a, b, c] = parts as [string, string, string];
      if (a.length === 4 && b.length <= 2 && c.length <= 2) {
        return { printed: [Number(a), Number(b), Number(c)], readings: [[Number(a), Number(b), Number(c)]] };
      }
      if (a.length > 2 || b.length > 2 || (c.length !== 2 && c.length !== 4)) return undefined;
      const y = fullYear(c);
      return {
        printed: [Number(a), Number(b), y],
        readings: [
          [y, Number(b), Number(a)],
          [y, Number(a), Number(b)],
        ],
      };
    },
  },
  {
    // 05-JAN-2018, 10 MAR 2018, 10 March, 2018, 5JAN18
    regex: new RegExp(String.raw`(?<![0-9])(${NUM})(?:st|nd|rd|th)?[\s\-\/.]*([a-zA-Z]{3,9}\.?)[\s\-\/.,]*(${NUM})(?![0-9])`, 'g'),
    read: (m) => {
      const day = digitsOf(m[1] ?? '');
      const month = monthNumber(m[2] ?? '');
      const year = digitsOf(m[3] ?? '');
      if (month === undefined || day.length > 2 || (year.length !== 2 && year.length !== 4)) return undefined;
      const y = fullYear(year);
      return { printed: [Number(day), month, y], readings: [[y, month, Number(day)]] };
    },
  },
  {
    // MAR 10, 2018, January 5 2018
    regex: new RegExp(String.raw`(?<![a-zA-Z])([a-zA-Z]{3,9}\.?)[\s\-\/.]*(${NUM})(?:st|nd|rd|th)?[\s\-\/.,]+(${NUM})(?![0-9])`, 'g'),
    read: (m) => {
      const month = monthNumber(m[1] ?? '');
      const day = digitsOf(m[2] ?? '');
      const year = digitsOf(m[3] ?? '');
      if (month === undefined || day.length > 2 || (year.length !== 2 && year.length !== 4)) return undefined;
      const y = fullYear(year);
      return { printed: [Number(day), month, y], readings: [[y, month, Number(day)]] };
    },
  },
  {
    // 20180304 (ISO 8601 basic format): only 19xx/20xx years and valid months, never inside a longer number.
    regex: /(?<![0-9])((?:19|20)[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(?![0-9])/g,
    read: (m) => ({
      printed: [Number(m[1]), Number(m[2]), Number(m[3])],
      readings: [[Number(m[1]), Number(m[2]), Number(m[3])]],
    }),
  },
];

function digitsOf(text: string): string {
  return text.toLowerCase().replace(/[a-z]/g, (c) => DIGIT_LOOKALIKES[c] ?? c);
}

/** Every date printed in `text`, in order of position. */
export function findDates(text: string): ParsedDate[] {
  const found: ParsedDate[] = [];
  for (const pattern of DATE_PATTERNS) {
    pattern.regex.lastIndex = 0;
    for (let m = pattern.regex.exec(text); m !== null; m = pattern.regex.exec(text)) {
      const read = pattern.read(m);
      const readings = read?.readings.filter(([y, mo, d]) => isValidDate(y, mo, d)).map(([y, mo, d]) => iso(y, mo, d));
      if (read && readings && readings.length > 0) {
        found.push({ readings: [...new Set(readings)], printed: read.printed.join('|'), index: m.index, length: m[0].length });
      }
      // Overlapping candidates (a time or a phone number next to the date) are tried from the next character.
      pattern.regex.lastIndex = m.index + 1;
    }
  }
  return found.sort((a, b) => a.index - b.index || b.length - a.length);
}

/** The one date a whole value is, or undefined when the value is not (only) a date. */
export function parseDate(value: string): ParsedDate | undefined {
  const trimmed = value.trim();
  const date = findDates(trimmed).find((d) => d.index === 0 && d.length === trimmed.length);
  return date;
}

/**
 * Whether a printed date is the annotated one: the same numbers in the same order (`11/5/2018` and
 * `11/05/2018`, whatever the day/month order is), or one of them unambiguous and the other able to mean it.
 */
export function datesEqual(annotated: ParsedDate, printed: ParsedDate): boolean {
  if (annotated.printed === printed.printed) return true;
  const unambiguous = annotated.readings.length === 1 || printed.readings.length === 1;
  return unambiguous && annotated.readings.some((r) => printed.readings.includes(r));
}

// ---------------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------------

export type ValueKind = 'amount' | 'date' | 'number' | 'text';

/** What kind of value an annotation holds, from the value itself (field names are the user's own). */
export function valueKind(value: string): ValueKind {
  if (parseDate(value) !== undefined) return 'date';
  const amount = parseAmount(value);
  if (amount !== undefined && (amount.hasDecimals || /[$€£¥₹]|[a-z]/i.test(value) || /[,.']/.test(value))) return 'amount';
  if (isNumeric(normalizeToken(value))) return 'number';
  return 'text';
}

/** Levenshtein distance (UTF-16 code units), by fastest-levenshtein. */
export const levenshtein = (a: string, b: string): number => distance(a, b);

/** 1 - distance / longer length: 1 is identical, 0 is nothing in common. */
export function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - levenshtein(a, b) / longer;
}

/** Code-unit order: the same on every machine, unlike localeCompare (fingerprints and splits depend on it). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
