/**
 * Text normalisation for alignment. Five kinds of values, each compared in its own way:
 * - amounts (`RM 9.00`, `9.0`, `1,234.50`, `118,37`, `1 939,00`, `EUR 1.939,-`): compared as exact decimal
 *   numbers, so a currency, a thousands separator, a decimal comma or a trailing zero never matters and one
 *   wrong digit always does;
 * - dates (`11/5/2018`, `05-JAN-2018`, `10 MAR 2018`, `August 3, 2014`, `3rd August 2014`, `02 Juillet 2015`,
 *   `29 maart 2014`, `2018-03-10`, `20180310`): compared as calendar dates, so zero padding, separators, month
 *   names of any language of the value table and two-digit years never matter, a wrong digit does; a
 *   numeric print that can be day-first or month-first (`03/04/2014`) is only the same date as an ISO
 *   value once the order is known (compareDates);
 * - identifiers (`INV-2014-0815`, `#4711`, `No. 12`): the same letters and digits, with or without a prefix
 *   of the value table (`#`, `No.`, `INV-`) and whatever the spacing;
 * - numbers (digits only);
 * - free text (names, addresses): case, diacritics, punctuation and spacing are ignored
 *   (normalizeToken), and similar-looking characters (0/O, 1/I/l, 5/S, 8/B ...) fold together
 *   (foldShapes) before a fuzzy comparison.
 * Month names, ordinal suffixes, currency marks and identifier prefixes come from the value table
 * (value-words.ts); the trainer applies the same rules (doctrain_trainer/value_rules.py), and
 * test/fixtures/value-cases.json holds the cases both must agree on.
 *
 * Written by hand, not with a date library: chrono-node (2.10) was tried and reads no Malay month, no
 * `14 März 2018`, no OCR look-alike digit (`2O18`), picks day- or month-first by its locale without saying
 * that `03/04/2014` was ambiguous, guesses missing years, and has no Python twin for the trainer.
 */
import { distance } from 'fastest-levenshtein';
import { VALUE_WORDS, wordKey } from './value-words';

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
  /** Whether the text printed a decimal part (`9.00`, `1.939,-` yes, `9` no). */
  readonly hasDecimals: boolean;
}

const LOOKALIKE_LETTERS = 'oqdilzsbg';
const CURRENCY_SYMBOL = `(?:${VALUE_WORDS.currencySymbolPattern})`;
/**
 * What may stand before or after the number in the same word: punctuation (`/18.00`, `71.00(S)`), a
 * currency symbol or code of up to 3 letters (`RM`, `$`, `USD`, a tax code `SR`), a sign.
 */
const PREFIX_PATTERN = new RegExp(String.raw`^[^a-z0-9]*(?:(?:${CURRENCY_SYMBOL}|[a-z]{1,3}\$?)\.?)?[^a-z0-9]*$`, 'u');
const SUFFIX_PATTERN = new RegExp(String.raw`^[^a-z0-9]*(?:${CURRENCY_SYMBOL}|[a-z]{1,3})?[^a-z0-9]*$`, 'u');
/** Separators that group thousands: `,` `.` `'` and spaces (`1 939,00`, a no-break or thin space too). */
const GROUP = String.raw`[,.' \u00a0\u202f]`;
/** `1.939,-` / `1939.--`: a decimal separator and dashes, the European print of whole amounts. */
const DASH_DECIMALS = /^[.,]-{1,2}(?![0-9])/;

/**
 * Parses a printed amount: `RM 9.00`, `$1,234.50`, `1.234,50`, `1 939,00`, `118,37`, `9.0`, `9`, `-0.02`,
 * `12.50-`, `EUR 1.939,-`. The last `.` or `,` followed by one or two digits is the decimal point; other
 * separators group thousands and must group by three. Letters that look like digits inside the number, or
 * glued to its ends, are read as digits (`0.6Z` -> 0.62, `2O.00` -> 20.00); a currency (`RM`, `$`, `€`), a
 * tax code (`(SR)`) or punctuation around it is not part of it. Returns undefined for anything else.
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
  const before = s.slice(0, first);
  let after = s.slice(last + 1);
  const dashDecimals = DASH_DECIMALS.exec(after);
  if (dashDecimals) after = after.slice(dashDecimals[0].length);
  if (!PREFIX_PATTERN.test(before) || !SUFFIX_PATTERN.test(after)) return undefined;
  const body = s.slice(first, last + 1).replace(/[a-z]/g, (c) => (LOOKALIKE_LETTERS.includes(c) ? (DIGIT_LOOKALIKES[c] ?? c) : c));
  if (!new RegExp(`^[0-9](?:${GROUP}?[0-9])*$`).test(body)) return undefined;
  let integerPart = body;
  let fraction = '';
  const decimal = dashDecimals ? null : /[,.]([0-9]{1,2})$/.exec(body);
  if (decimal?.[1] !== undefined) {
    integerPart = body.slice(0, decimal.index);
    fraction = decimal[1];
  }
  // What is left of the integer part groups thousands: every group after the first has three digits.
  const groups = integerPart.split(new RegExp(GROUP));
  if (groups.length > 1 && (groups.slice(1).some((g) => g.length !== 3) || (groups[0] ?? '').length > 3)) return undefined;
  // One kind of separator groups the thousands (`1.939.000`, not `1 939.000` read as two numbers).
  if (new Set(integerPart.match(new RegExp(GROUP, 'g')) ?? []).size > 1) return undefined;
  const negative = /-\s*$/.test(before) || /^-/.test(before) || /^\s*-/.test(after);
  return {
    negative,
    integer: groups.join('').replace(/^0+(?=[0-9])/, ''),
    fraction: fraction.replace(/0+$/, ''),
    hasDecimals: decimal !== null || dashDecimals !== null,
  };
}

/** The same decimal number (and sign), however printed: the rule field metrics compare amounts by. */
export function sameAmount(a: Amount, b: Amount): boolean {
  return a.integer === b.integer && a.fraction === b.fraction && a.negative === b.negative;
}

/**
 * Whether a printed amount is the annotated one as printed: the same decimal number, and a print with
 * decimals where the value has them (a quantity `9` is not plainly the amount `9.00`; alignment takes such
 * a whole print only after a word naming the field, see align.ts).
 */
export function amountsEqual(annotated: Amount, printed: Amount): boolean {
  if (annotated.hasDecimals && !printed.hasDecimals) return false;
  return sameAmount(annotated, printed);
}

// ---------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------

const fullYear = (year: string): number => {
  const n = Number(year);
  return year.length === 2 ? (n < 70 ? 2000 + n : 1900 + n) : n;
};

const isValidDate = (y: number, m: number, d: number): boolean => {
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
};

/** Day before month (`25/12/2018`) or month before day (`12/25/2018`) in numeric prints. */
export type DateOrder = 'dmy' | 'mdy';

/** A printed date: every calendar date it can mean (`01/02/2018` two, `13/02/2018` one). */
export interface ParsedDate {
  /** `yyyy-mm-dd` readings, day-first before month-first. */
  readonly readings: readonly string[];
  /** A numeric print with day and month both of one or two digits: its reading in each order, where valid. */
  readonly numeric?: { readonly dmy?: string; readonly mdy?: string };
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
const ORDINAL = `(?:${VALUE_WORDS.ordinalPattern})?\\.?`;
const CONNECTOR = `(?:(?:${VALUE_WORDS.connectorPattern})\\s+)?`;
const MONTH = String.raw`(\p{L}{3,12}\.?)`;
type Reading = { printed: number[]; readings: [number, number, number][]; numeric?: boolean };
const DATE_PATTERNS: readonly { regex: RegExp; read: (m: RegExpExecArray) => Reading | undefined }[] = [
  {
    // 2018-03-10, 2018/3/10, 10/03/2018, 07.05.2014, 3/4/14
    regex: new RegExp(String.raw`(?<![0-9])(${NUM})(${SEP})(${NUM})(${SEP})(${NUM})(?![0-9])`, 'g'),
    read: (m) => {
      const parts = [m[1], m[3], m[5]].map((p) => digitsOf(p ?? ''));
      const [a, b, c] = parts as [string, string, string];
      if (a.length === 4 && b.length <= 2 && c.length <= 2) {
        return { printed: [Number(a), Number(b), Number(c)], readings: [[Number(a), Number(b), Number(c)]] };
      }
      if (a.length > 2 || b.length > 2 || (c.length !== 2 && c.length !== 4)) return undefined;
      const y = fullYear(c);
      const dayFirst: [number, number, number] = [y, Number(b), Number(a)];
      // Dots between day, month and year are a day-first print (`07.05.2014`: 7 May); no month-first custom uses them.
      const dotted = m[2]?.trim() === '.' && m[4]?.trim() === '.';
      return {
        printed: [Number(a), Number(b), y],
        readings: dotted ? [dayFirst] : [dayFirst, [y, Number(a), Number(b)]],
        numeric: true,
      };
    },
  },
  {
    // 05-JAN-2018, 10 MAR 2018, 3rd August 2014, 3. August 2014, 02 Juillet 2015, 3 de agosto de 2014, 5JAN18
    regex: new RegExp(String.raw`(?<![0-9])(${NUM})${ORDINAL}[\s\-\/.]*${CONNECTOR}${MONTH}[\s\-\/.,]*${CONNECTOR}(${NUM})(?![0-9])`, 'gu'),
    read: (m) => {
      const day = digitsOf(m[1] ?? '');
      const month = VALUE_WORDS.monthNumber(m[2] ?? '');
      const year = digitsOf(m[3] ?? '');
      if (month === undefined || day.length > 2 || (year.length !== 2 && year.length !== 4)) return undefined;
      const y = fullYear(year);
      return { printed: [Number(day), month, y], readings: [[y, month, Number(day)]] };
    },
  },
  {
    // MAR 10, 2018, January 5 2018, August 3rd, 2014
    regex: new RegExp(String.raw`(?<!\p{L})${MONTH}[\s\-\/.]*(${NUM})${ORDINAL}[\s\-\/.,]+(${NUM})(?![0-9])`, 'gu'),
    read: (m) => {
      const month = VALUE_WORDS.monthNumber(m[1] ?? '');
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
      if (read) {
        const valid = read.readings.map(([y, mo, d]) => (isValidDate(y, mo, d) ? iso(y, mo, d) : undefined));
        const readings = [...new Set(valid.filter((r): r is string => r !== undefined))];
        if (readings.length > 0) {
          const numeric = read.numeric ? { ...(valid[0] && { dmy: valid[0] }), ...(valid[1] && { mdy: valid[1] }) } : undefined;
          found.push({ readings, ...(numeric && { numeric }), printed: read.printed.join('|'), index: m.index, length: m[0].length });
        }
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

/** The readings of a date once the day/month order is known: a numeric print keeps the one of that order. */
export function readingsIn(date: ParsedDate, order: DateOrder | undefined): readonly string[] {
  if (order === undefined || date.numeric === undefined) return date.readings;
  const reading = date.numeric[order];
  return reading === undefined ? [] : [reading];
}

/**
 * Which order the numeric dates of a text are printed in: day-first when some print can only be read
 * day-first (`25/12/2018`) and none only month-first, and the other way round; undefined when no print
 * says, or prints disagree.
 */
export function dateOrderOf(dates: readonly ParsedDate[]): DateOrder | undefined {
  const orders = new Set<DateOrder>();
  for (const date of dates) {
    if (date.numeric?.dmy !== undefined && date.numeric.mdy === undefined) orders.add('dmy');
    if (date.numeric?.mdy !== undefined && date.numeric.dmy === undefined) orders.add('mdy');
  }
  return orders.size === 1 ? [...orders][0] : undefined;
}

/**
 * Whether a printed date is the annotated one: `same` when both print the same numbers in the same order
 * (`11/5/2018` and `11/05/2018`, whatever the day/month order is), or the print means one calendar date
 * (in the document's `order` where it is numeric) that the value can mean (`2014-04-03` and `03/04/2014`
 * when the document is day-first; `01/02/2018` and `1 Feb 2018`); `ambiguous` when the print can mean the
 * value's date but the order is not known (`03/04/2014` for `2014-04-03`); `different` otherwise, and for
 * two numeric prints of different numbers that can each be read both ways (`01/02/2018`, `02/01/2018`).
 */
export function compareDates(annotated: ParsedDate, printed: ParsedDate, order?: DateOrder): 'same' | 'ambiguous' | 'different' {
  if (annotated.printed === printed.printed) return 'same';
  // Two numeric prints that can each be read both ways are the same date only when printed alike.
  if (annotated.readings.length > 1 && printed.readings.length > 1) return 'different';
  const a = readingsIn(annotated, order);
  const p = readingsIn(printed, order);
  if (!a.some((r) => p.includes(r))) return 'different';
  return p.length === 1 ? 'same' : 'ambiguous';
}

/** compareDates(...) === 'same'. */
export function datesEqual(annotated: ParsedDate, printed: ParsedDate, order?: DateOrder): boolean {
  return compareDates(annotated, printed, order) === 'same';
}

// ---------------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------------

/**
 * An identifier without its prefix: normalizeToken of the text with the prefixes of the value table
 * (`inv`, `no`, `invoice`, `rechnung`; one or a chain, `Invoice No.`) removed where digits follow them
 * (`INV-2014-0815` -> `20140815`, `No. 12` -> `12`, `#4711` -> `4711`); the whole normalised text when none applies.
 */
export function identifierCore(text: string): string {
  return stripIdentifierPrefix(normalizeToken(text));
}

/** normalizeToken text without its identifier prefixes (`invoiceno4711` -> `4711`), when digits follow them. */
export function stripIdentifierPrefix(norm: string): string {
  for (const prefix of VALUE_WORDS.identifierPrefixes) {
    if (norm.length <= prefix.length || !norm.startsWith(prefix)) continue;
    const rest = norm.slice(prefix.length);
    if (/^[0-9]/.test(rest)) return rest;
    const stripped = stripIdentifierPrefix(rest);
    if (stripped !== rest) return stripped;
  }
  return norm;
}

/** The same identifier: the same letters and digits, or the same once their prefixes are dropped (`INV-0042`, `#0042`). */
export function identifiersEqual(a: string, b: string): boolean {
  return normalizeToken(a) === normalizeToken(b) || identifierCore(a) === identifierCore(b);
}

/** Whether a value starts with an identifier prefix: `#` or a word of the table before digits (`INV-0042`, `No. 12`). */
function hasIdentifierPrefix(value: string): boolean {
  const trimmed = value.trim();
  if (!/[0-9]/.test(trimmed) || trimmed.split(/\s+/).length > 3) return false;
  if (/^#\s*[0-9a-z]/i.test(trimmed)) return true;
  const firstWord = wordKey(trimmed.split(/[\s.:#\-/]+/)[0] ?? '');
  return VALUE_WORDS.identifierPrefixes.includes(firstWord) && identifierCore(trimmed) !== normalizeToken(trimmed);
}

/** One token of letters and digits (`AB12-X`, `0042A`): an identifier, compared exactly, not as fuzzy text. */
function isCode(value: string): boolean {
  const trimmed = value.trim();
  const norm = normalizeToken(trimmed);
  return !/\s/.test(trimmed) && /[0-9]/.test(norm) && /[a-z]/.test(norm) && norm.length >= 4;
}

// ---------------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------------

export type ValueKind = 'amount' | 'date' | 'identifier' | 'number' | 'text';

/** What kind of value an annotation holds, from the value itself (field names are the user's own). */
export function valueKind(value: string): ValueKind {
  if (parseDate(value) !== undefined) return 'date';
  if (hasIdentifierPrefix(value)) return 'identifier';
  const amount = parseAmount(value);
  const currency = new RegExp(CURRENCY_SYMBOL, 'u').test(value) || VALUE_WORDS.currencyCodes.has(wordKey(value).replace(/[0-9]/g, ''));
  if (amount !== undefined && (amount.hasDecimals || currency || /[,.' ]/.test(value.trim()))) return 'amount';
  if (isCode(value)) return 'identifier';
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
