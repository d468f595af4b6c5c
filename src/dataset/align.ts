import { labelForField, type Fields } from '../contracts/annotation';
import { VALUE_RULES, type FieldNames } from '../contracts/value-rules';
import { nameGrade } from './field-names';
import {
  amountsEqual,
  asDigits,
  compareDates,
  dateOrderOf,
  findDates,
  foldShapes,
  identifierCore,
  levenshtein,
  normalizeToken,
  parseAmount,
  parseDate,
  sameAmount,
  similarity,
  valueKind,
  type Amount,
  type DateOrder,
  type ParsedDate,
  type ValueKind,
} from './normalize';
import { VALUE_WORDS, valueWords } from './value-words';

/**
 * Weak labelling: finds each annotated value among the OCR words (in reading order, all lines of a
 * page one after the other) and tags the span BIO. Each value is matched by its kind (see normalize.ts):
 *
 * - amount (`9.00`, `RM 1,234.50`): a word (or a word split at its decimal point) that is the same
 *   decimal number; exact, one wrong digit is a different amount;
 * - date (`11/5/2018`, `05-JAN-2018`): up to five words that print the same calendar date; exact;
 * - amounts and dates whose separators OCR lost (`$820`, `2512/2018`) match, ranked lower, when the
 *   words' digits are exactly the value's digits;
 * - number (digits only, e.g. a receipt number): the words' digits, concatenated, equal the value's;
 * - text: the normalised concatenation of a span of words (case, punctuation and spacing ignored,
 *   look-alike characters folded) has character similarity >= minSimilarity with the value, so a value
 *   over several lines, or split and merged differently by OCR, still matches; when no span does, a
 *   value of three or more words may match a window of words token by token, in any order (OCR reading
 *   order may interleave an address's lines with a neighbouring column), when the F1 of the value's
 *   tokens found in the window and the window's words used is >= minSimilarity.
 *
 * Assignment: values are placed longest first (a short item name cannot steal a word from the company
 * name it is part of), each taking its best free span: highest score, then one right after a word
 * naming the field (`TOTAL 9.00` for `total`, `Date: 25/12/2018` for `date`; `SUBTOTAL` names it less
 * plainly than `TOTAL`, see nameGrade), then earliest, then
 * fewest words. Spans never overlap. Equal values (subtotal == total, or a repeated item) therefore
 * take successive occurrences in document order, unless a keyword says which is which.
 *
 * OCR-tolerant pass: a value the exact pass cannot place (an OCR engine misread one of its characters:
 * `112.46` printed for `112.45`, `23/12/2017` for `22/12/2017`, `E7.10` for `37.10`) is searched again,
 * after every exact value has taken its words, among the words still free:
 * - an amount or number of three or more digits: a word with one digit read wrong (as many digits, one
 *   different; a decimal separator printed where the value has one), only right after a word naming the
 *   field (on the same line, or among the KEYWORD_LOOKBACK words before): receipts are full of numbers
 *   one digit apart, the keyword is what says which one is the total;
 * - a date: a printed date one digit edit away from the value's numbers, after a word naming the field,
 *   or the only such date on the page;
 * - an identifier of TOLERANT_MIN_IDENTIFIER_CHARS or more letters and digits: words whose letters and
 *   digits are one edit from the value's, after a word naming the field, or (TOLERANT_UNNAMED_IDENTIFIER_CHARS
 *   or more) the only such print;
 * - text of TOLERANT_MIN_TEXT_CHARS or more characters: the text matchers again at similarity
 *   TOLERANT_MIN_SIMILARITY.
 * Such a span is reported with `match: 'ocr_tolerant'`; the label is the same (the words are where the
 * value is printed, whatever the OCR made of them).
 */
export const DEFAULT_MIN_SIMILARITY = 0.8;

/** A text token of the value counts as found in a word at this similarity (token-window match). */
const TOKEN_SIMILARITY = 0.7;
/**
 * An amount or date found only by its digits (separators lost) ranks below one read as that amount or
 * date, so `8.20` takes `$8.20` over `$820` when both are printed.
 */
const DIGITS_ONLY_SCORE = 0.95;
/** An amount split over two words ranks just below one printed whole. */
const SPLIT_AMOUNT_SCORE = 0.98;
/**
 * An identifier printed without the value's prefix (`12345` for `INV-12345`), or with another one, ranks
 * below one printed with it; one whose span starts with a bare prefix word (`No.` `12345`) lower still.
 */
const IDENTIFIER_CORE_SCORE = 0.97;
const IDENTIFIER_PREFIXED_SCORE = 0.96;
/**
 * An amount with decimals printed as a whole number (`1939` for `1939.00`), or a plain number printed as
 * an amount (`1,939.00` for `1939`): the same number, ranked below every print of its own form and taken
 * only after a word naming the field (a quantity `9` is not the total `9.00`).
 */
const WHOLE_AMOUNT_SCORE = 0.93;
/** OCR-tolerant pass: text similarity, and the shortest text value (folded characters) it applies to. */
export const TOLERANT_MIN_SIMILARITY = 0.65;
const TOLERANT_MIN_TEXT_CHARS = 8;
/** OCR-tolerant pass: the fewest digits an amount, number or date must have to be matched one digit off. */
const TOLERANT_MIN_DIGITS = 3;

/** OCR-tolerant pass: the fewest letters and digits an identifier must have to be matched one character off. */
const TOLERANT_MIN_IDENTIFIER_CHARS = 8;
/** ... and without a word naming the field before it, the fewest for the only such print on the page. */
const TOLERANT_UNNAMED_IDENTIFIER_CHARS = 16;
/** OCR-tolerant spans rank below every exact one. */
const TOLERANT_SCORE = 0.9;

/**
 * Why a value labelled no word: `ambiguous_date` when its date is printed only in a day/month order the
 * document does not settle (`03/04/2014` for `2014-04-03`, no other date says which, no `dateOrder` set).
 */
export type UnalignedReason = 'empty_value' | 'not_found' | 'overlap' | 'ambiguous_date';

export interface UnalignedField {
  readonly field: string;
  readonly value: string;
  readonly reason: UnalignedReason;
}

/** How a value was found: as printed, or with OCR misreads tolerated (see the OCR-tolerant pass). */
export type AlignMatch = 'exact' | 'ocr_tolerant';

export interface AlignedSpan {
  readonly field: string;
  readonly value: string;
  readonly match: AlignMatch;
  /** Word index of the first word. */
  readonly start: number;
  /** Word index after the last word. */
  readonly end: number;
  readonly score: number;
}

export interface Alignment {
  /** One BIO label per word: `B-<LABEL>`, `I-<LABEL>` or `O`. */
  readonly labels: string[];
  readonly spans: AlignedSpan[];
  readonly unaligned: UnalignedField[];
}

export interface AlignOptions {
  readonly minSimilarity?: number;
  /**
   * The order numeric dates are printed in where the document's own dates do not say (the user's locale,
   * setting `dateOrder`); without it, a date printed only ambiguously stays unaligned (`ambiguous_date`).
   */
  readonly dateOrder?: DateOrder;
  /** Field names the user adds to the value table's, per field key (setting `fieldNames`). */
  readonly fieldNames?: FieldNames;
}

interface Target {
  readonly field: string;
  readonly value: string;
  readonly kind: ValueKind;
  readonly normalized: string;
  readonly amount?: Amount;
  readonly date?: ParsedDate;
  readonly tokenCount: number;
  /** Field order, then array index: the tie-break that keeps repeated values in document order. */
  readonly order: number;
}

interface Candidate {
  readonly start: number;
  readonly end: number;
  readonly score: number;
  /** How plainly a word before the span names the field (see `nameGrade`); 0: none does. */
  readonly keyword: number;
}

/** What every matcher needs of the page, computed once per document. */
interface Page {
  readonly texts: readonly string[];
  /** Word boxes ([x0, y0, x1, y1], any unit), where the words have them: for the same-line keyword search. */
  readonly boxes: readonly (readonly number[] | undefined)[];
  /** normalizeToken of each word. */
  readonly norms: readonly string[];
  /** foldShapes(norms): for fuzzy text. */
  readonly folded: readonly string[];
  /** asDigits(norms): for digit-only values. */
  readonly digits: readonly string[];
  /** The names of a field (field-names.ts), in wordKey form. */
  readonly names: (field: string) => readonly string[];
  /** The day/month order of the document's numeric dates: its own dates' order, else the user's. */
  readonly dateOrder: DateOrder | undefined;
}

export interface AlignWord {
  readonly text: string;
  readonly box?: readonly number[];
}

export function alignFields(words: readonly AlignWord[], fields: Fields, options: AlignOptions = {}): Alignment {
  const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  const norms = words.map((w) => normalizeToken(w.text));
  const texts = words.map((w) => w.text);
  const lookups = options.fieldNames === undefined ? VALUE_WORDS : valueWords(VALUE_RULES, options.fieldNames);
  const page: Page = {
    texts,
    boxes: words.map((w) => w.box),
    norms,
    folded: norms.map(foldShapes),
    digits: norms.map(asDigits),
    names: lookups.fieldNames,
    dateOrder: dateOrderOf(findDates(texts.join(' '))) ?? options.dateOrder,
  };
  const labels = words.map(() => 'O');
  const unaligned: { order: number; entry: UnalignedField }[] = [];
  const targets: Target[] = [];
  let order = 0;
  for (const [field, raw] of Object.entries(fields)) {
    const values: readonly string[] = typeof raw === 'string' ? [raw] : raw;
    for (const value of values) {
      const normalized = normalizeToken(value);
      if (normalized === '') {
        unaligned.push({ order: order++, entry: { field, value, reason: 'empty_value' } });
        continue;
      }
      const kind = valueKind(value);
      const tokenCount = value.split(/\s+/).filter((t) => t !== '').length;
      const amount = kind === 'amount' ? parseAmount(value) : undefined;
      const date = kind === 'date' ? parseDate(value) : undefined;
      targets.push({ field, value, kind, normalized, tokenCount, order: order++, ...(amount && { amount }), ...(date && { date }) });
    }
  }

  const used = new Array<boolean>(words.length).fill(false);
  const spans: AlignedSpan[] = [];
  const missed: { target: Target; reason: UnalignedReason }[] = [];
  const place = (target: Target, candidates: readonly Scored[], match: AlignMatch): boolean => {
    const keywords = page.names(target.field);
    const free = candidates
      .filter((c) => !used.slice(c.start, c.end).some(Boolean))
      .map((c) => ({ ...c, keyword: nameGrade(page, c.start, keywords) }));
    if (free.length === 0) return false;
    const best = free.reduce((a, b) => (isBetter(b, a) ? b : a));
    for (let i = best.start; i < best.end; i++) used[i] = true;
    spans.push({ field: target.field, value: target.value, match, start: best.start, end: best.end, score: best.score });
    return true;
  };
  const byLength = [...targets].sort((a, b) => b.normalized.length - a.normalized.length || a.order - b.order);
  for (const target of byLength) {
    const candidates = findCandidates(page, target, minSimilarity);
    if (!place(target, candidates, 'exact')) missed.push({ target, reason: candidates.length === 0 ? 'not_found' : 'overlap' });
  }
  // Every exact value has its words; what is left is searched again, tolerating OCR misreads.
  for (const { target, reason } of missed) {
    if (!place(target, findTolerant(page, target, minSimilarity), 'ocr_tolerant')) {
      const ambiguous = reason === 'not_found' && target.date !== undefined && printedAmbiguously(page, target.date);
      unaligned.push({
        order: target.order,
        entry: { field: target.field, value: target.value, reason: ambiguous ? 'ambiguous_date' : reason },
      });
    }
  }

  for (const span of spans) {
    const label = labelForField(span.field);
    for (let i = span.start; i < span.end; i++) labels[i] = i === span.start ? `B-${label}` : `I-${label}`;
  }
  spans.sort((a, b) => a.start - b.start);
  // Reported in annotation order, not in processing order.
  unaligned.sort((a, b) => a.order - b.order);
  return { labels, spans, unaligned: unaligned.map((u) => u.entry) };
}

function isBetter(a: Candidate, b: Candidate): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.keyword !== b.keyword) return a.keyword > b.keyword;
  if (a.start !== b.start) return a.start < b.start;
  return a.end - a.start < b.end - b.start;
}

type Scored = Omit<Candidate, 'keyword'>;

function findCandidates(page: Page, target: Target, minSimilarity: number): Scored[] {
  switch (target.kind) {
    case 'amount':
      return target.amount
        ? [
            ...findAmounts(page, target.amount),
            ...findDigits(page, target, DIGITS_ONLY_SCORE),
            ...findWholeAmounts(page, target, target.amount),
          ]
        : findDigits(page, target, DIGITS_ONLY_SCORE);
    case 'date': {
      const date = target.date;
      const same = (found: ParsedDate): boolean => compareDates(date as ParsedDate, found, page.dateOrder) === 'same';
      return [...(date ? findDate(page, same) : []), ...findDigits(page, target, DIGITS_ONLY_SCORE)];
    }
    case 'number': {
      const plain = parseAmount(target.value);
      return [...findDigits(page, target, 1), ...(plain ? findWholeAmounts(page, target, plain) : [])];
    }
    case 'identifier':
      return findIdentifier(page, target);
    case 'text':
      return findText(page, target, minSimilarity);
  }
}

/**
 * Spans of words whose concatenation is similar to the text value (>= minSimilarity); when none is and
 * the value has three or more words, windows holding its tokens in any order.
 */
function findText(page: Page, target: Target, minSimilarity: number): Scored[] {
  const want = foldShapes(target.normalized);
  const maxChars = Math.ceil(want.length / minSimilarity) + 1;
  const spans = findConcatenated(page.folded, target.tokenCount, (text) => similarity(text, want), minSimilarity, maxChars);
  return spans.length > 0 || target.tokenCount < 3 ? spans : findTokenWindows(page, target.value, minSimilarity);
}

/**
 * Spans whose digits, concatenated, are exactly the value's digits: `$820` or `88 17` for `8.20` and
 * `88.17` (OCR lost or split the decimal point), `2512/2018` for `25/12/2018`. Every digit still counts,
 * and for amounts and dates the span must print fewer separators than the value (one was lost), so a
 * moved separator never matches.
 */
function findDigits(page: Page, target: Target, score: number): Scored[] {
  const want = asDigits(target.normalized);
  if (!/^[0-9]+$/.test(want)) return [];
  const spans = findConcatenated(page.digits, target.tokenCount, (text) => (text === want ? score : 0), score, want.length + 3);
  if (target.kind === 'number') return spans;
  // Only where separators were lost: `90.0` has its separator and is not `9.00`, nor `11/2/2018` `1/12/2018`.
  const separators = (text: string): number => text.match(/[.,/-]/g)?.length ?? 0;
  const expected = separators(target.value);
  return spans.filter((span) => {
    const printed = separators(page.texts.slice(span.start, span.end).join(''));
    return printed < expected || (expected === 0 && printed === 0);
  });
}

/**
 * One word that reads as the amount, or two or three when OCR split it at its decimal point (`9.` `00`,
 * `9` `.00`, `m39` `.` `00`).
 */
function findAmounts(page: Page, amount: Amount): Scored[] {
  const out: Scored[] = [];
  page.texts.forEach((text, start) => {
    const single = parseAmount(text);
    if (single && amountsEqual(amount, single)) {
      out.push({ start, end: start + 1, score: 1 });
      return;
    }
    const split = splitAmount(page, start);
    if (split !== undefined) {
      const joined = parseAmount(split.text);
      if (joined && amountsEqual(amount, joined)) out.push({ start, end: split.end, score: SPLIT_AMOUNT_SCORE });
    }
  });
  return out;
}

/**
 * The same number printed in the other form (WHOLE_AMOUNT_SCORE): a whole number for an amount with zero
 * decimals (`1939` for `1939.00`), or an amount for a plain number (`1,939.00` for `1939`); only after a
 * word naming the field.
 */
function findWholeAmounts(page: Page, target: Target, amount: Amount): Scored[] {
  if (amount.fraction !== '') return [];
  const prints: Scored[] = [];
  page.texts.forEach((text, start) => {
    const single = parseAmount(text);
    const split = splitAmount(page, start);
    const joined = split === undefined ? undefined : parseAmount(split.text);
    const other = (printed: Amount): boolean => sameAmount(amount, printed) && printed.hasDecimals !== amount.hasDecimals;
    if (single && other(single)) prints.push({ start, end: start + 1, score: WHOLE_AMOUNT_SCORE });
    else if (split && joined && other(joined)) prints.push({ start, end: split.end, score: WHOLE_AMOUNT_SCORE });
  });
  const names = page.names(target.field);
  return prints.filter((span) => nameGrade(page, span.start, names) > 0);
}

/**
 * An identifier: a span of words whose letters and digits are the value's (look-alike characters folded,
 * score 1: `INV 2014-0815` for `INV-2014-0815`), or are its letters and digits once an identifier prefix is
 * dropped from either (`2014-0815`, `#20140815`, `No. 20140815`; IDENTIFIER_CORE_SCORE).
 */
function findIdentifier(page: Page, target: Target): Scored[] {
  const whole = foldShapes(target.normalized);
  const core = foldShapes(identifierCore(target.value));
  const prefixes = VALUE_WORDS.identifierPrefixes;
  return findConcatenated(
    page.norms,
    target.tokenCount,
    (text) => {
      if (foldShapes(text) === whole) return 1;
      return foldShapes(identifierCore(text)) === core ? IDENTIFIER_CORE_SCORE : 0;
    },
    IDENTIFIER_PREFIXED_SCORE,
    whole.length + 12,
  ).map((span) =>
    span.score < 1 && prefixes.includes(page.norms[span.start] as string) ? { ...span, score: IDENTIFIER_PREFIXED_SCORE } : span,
  );
}

/** Whether the date is printed somewhere in an order the document does not settle (compareDates `ambiguous`). */
function printedAmbiguously(page: Page, date: ParsedDate): boolean {
  return findDate(page, (found) => compareDates(date, found, page.dateOrder) === 'ambiguous').length > 0;
}

/**
 * The words from `start` joined when they print one number split at its decimal point, or at a thousands
 * space (`1` `939,00`, `EUR 1` `939,-`), else undefined.
 */
function splitAmount(page: Page, start: number): { text: string; end: number } | undefined {
  const text = page.texts[start] as string;
  const next = page.texts[start + 1];
  if (next === undefined || !/[0-9]/.test(text)) return undefined;
  if (/^[^0-9]{0,4}[0-9]{1,3}$/.test(text) && /^[0-9]{3}(?![0-9])/.test(next)) return { text: `${text} ${next}`, end: start + 2 };
  if (/^[.,]$/.test(next)) {
    const after = page.texts[start + 2];
    return after !== undefined && /^[0-9]/.test(after) ? { text: `${text}${next}${after}`, end: start + 3 } : undefined;
  }
  return /[.,]$/.test(text) || /^[.,]/.test(next) ? { text: `${text}${next}`, end: start + 2 } : undefined;
}

/** Up to five words whose text prints a date `matches` accepts, starting in the first word and ending in the last. */
function findDate(page: Page, matches: (found: ParsedDate) => boolean): Scored[] {
  const out: Scored[] = [];
  for (let start = 0; start < page.texts.length; start++) {
    const first = page.texts[start] as string;
    // A date starts with its day or year, or with its month's name (`August 3, 2014`).
    if (!/[0-9]/.test(first) && VALUE_WORDS.monthNumber(first) === undefined) continue;
    let text = '';
    for (let end = start + 1; end <= Math.min(page.texts.length, start + 5); end++) {
      const word = page.texts[end - 1] as string;
      const from = text.length === 0 ? 0 : text.length + 1;
      text = text.length === 0 ? word : `${text} ${word}`;
      const hit = findDates(text).some(
        (found) => found.index < (page.texts[start] as string).length && found.index + found.length > from && matches(found),
      );
      if (hit) {
        out.push({ start, end, score: 1 });
        break;
      }
    }
  }
  return out;
}

/**
 * Spans whose normalised words, concatenated, score >= min against the value: a value token split over
 * two words or two tokens merged into one word still match.
 */
function findConcatenated(
  norms: readonly string[],
  tokenCount: number,
  score: (text: string) => number,
  min: number,
  maxChars: number,
): Scored[] {
  // OCR may split a token in two, and punctuation-only words may sit inside a span.
  const maxWords = tokenCount * 2 + 3;
  const out: Scored[] = [];
  for (let start = 0; start < norms.length; start++) {
    // Spans start and end on a word with content, so a stray "," or "$" is never labelled at the edges.
    if (norms[start] === '') continue;
    let text = '';
    for (let end = start + 1; end <= norms.length && end - start <= maxWords; end++) {
      const piece = norms[end - 1] as string;
      text += piece;
      if (text.length > maxChars) break;
      if (piece === '') continue;
      const s = score(text);
      if (s >= min) out.push({ start, end, score: s });
    }
  }
  return out;
}

/**
 * Token-window match for long text values: the value's tokens and a window's words are compared one
 * to one (similarity >= TOKEN_SIMILARITY, folded shapes), in any order; the window scores the F1 of
 * value characters found (recall) and window characters used (precision). Windows start and end on a
 * word that matches a token.
 */
function findTokenWindows(page: Page, value: string, minSimilarity: number): Scored[] {
  const tokens = value
    .split(/\s+/)
    .map((t) => foldShapes(normalizeToken(t)))
    .filter((t) => t !== '');
  const total = tokens.reduce((n, t) => n + t.length, 0);
  const words = page.folded;
  // best[w][t]: similarity of word w and token t, when at least TOKEN_SIMILARITY.
  const best = words.map((word) =>
    tokens.map((token) => {
      if (word === '' || Math.abs(word.length - token.length) > Math.max(word.length, token.length) / 2) return 0;
      const s = similarity(word, token);
      return s >= TOKEN_SIMILARITY ? s : 0;
    }),
  );
  const matches = (w: number): boolean => (best[w] as number[]).some((s) => s > 0);
  const maxWords = tokens.length * 2 + 3;
  const out: Scored[] = [];
  for (let start = 0; start < words.length; start++) {
    if (!matches(start)) continue;
    const tokenScore = new Array<number>(tokens.length).fill(0);
    let windowChars = 0;
    let usedChars = 0;
    for (let end = start + 1; end <= words.length && end - start <= maxWords; end++) {
      const w = end - 1;
      const word = words[w] as string;
      windowChars += word.length;
      if (!matches(w)) continue;
      usedChars += word.length;
      (best[w] as number[]).forEach((s, t) => {
        if (s > (tokenScore[t] as number)) tokenScore[t] = s;
      });
      const recall = tokenScore.reduce((n, s, t) => n + s * (tokens[t] as string).length, 0) / total;
      const precision = usedChars / windowChars;
      const f1 = recall + precision === 0 ? 0 : (2 * recall * precision) / (recall + precision);
      if (f1 >= minSimilarity) out.push({ start, end, score: f1 });
    }
  }
  return out;
}

/**
 * The OCR-tolerant pass (see the top of this file): candidates for a value no exact matcher found, all
 * scored TOLERANT_SCORE (or the text similarity, when lower), never above an exact match.
 */
function findTolerant(page: Page, target: Target, minSimilarity: number): Scored[] {
  const keywords = page.names(target.field);
  const named = (span: Scored): boolean => nameGrade(page, span.start, keywords) > 0;
  switch (target.kind) {
    case 'amount':
    case 'number':
      return findDigitsOff(page, target).filter(named);
    case 'date': {
      if (target.date === undefined) return [];
      const spans = findDateOff(page, target, target.date);
      const withName = spans.filter(named);
      return withName.length > 0 || spans.length !== 1 ? withName : spans;
    }
    case 'identifier': {
      const spans = findIdentifierOff(page, target);
      const withName = spans.filter(named);
      // Unnamed, only a long identifier (a near miss of it is no other identifier) printed once (every
      // candidate span overlaps the first).
      const long = foldShapes(identifierCore(target.value)).length >= TOLERANT_UNNAMED_IDENTIFIER_CHARS;
      const onePrint = spans.every((span) => span.start < (spans[0]?.end ?? 0) && span.end > (spans[0]?.start ?? 0));
      return withName.length > 0 || !long || !onePrint ? withName : spans;
    }
    case 'text': {
      if (foldShapes(target.normalized).length < TOLERANT_MIN_TEXT_CHARS) return [];
      const spans = findText(page, target, Math.min(minSimilarity, TOLERANT_MIN_SIMILARITY));
      return spans.map((s) => ({ ...s, score: Math.min(s.score, TOLERANT_SCORE) }));
    }
  }
}

/**
 * One word, or two or three split at the decimal point, whose digits differ from the value's in one digit
 * (`112.46` or `E7.10` for 112.45 and 37.10: as many digits, one read wrong; a digit lost or gained makes
 * another number, `1.00` is not 15.00); where the value prints a decimal separator, so must the word.
 */
function findDigitsOff(page: Page, target: Target): Scored[] {
  const want = asDigits(target.normalized);
  if (!/^[0-9]+$/.test(want) || want.length < TOLERANT_MIN_DIGITS) return [];
  const decimal = target.kind === 'amount' && target.amount?.hasDecimals === true;
  const out: Scored[] = [];
  const consider = (text: string, start: number, end: number): void => {
    if (!/[0-9]/.test(text) || (decimal && !/[0-9][.,][0-9a-z]/i.test(text))) return;
    const norm = normalizeToken(text);
    // Read with a currency prefix stripped (`rm12.50`), and with every letter kept in place, look-alikes as
    // digits (`e710`: the E is a misread 3, not a currency).
    const digits = [asDigits(norm), norm.replace(/[a-z]/g, (c) => asDigits(c))];
    if (digits.some((d) => d.length === want.length && /[0-9]/.test(d) && levenshtein(d, want) === 1))
      out.push({ start, end, score: TOLERANT_SCORE });
  };
  page.texts.forEach((text, start) => {
    consider(text, start, start + 1);
    const split = splitAmount(page, start);
    if (split !== undefined) consider(split.text, start, split.end);
  });
  return out;
}

/**
 * An identifier of TOLERANT_MIN_IDENTIFIER_CHARS or more letters and digits (prefix dropped) printed with
 * one of them read wrong, lost or gained (`# BLR WFLD20151000962590` for `#BLR_WFLD20151000982590`).
 */
function findIdentifierOff(page: Page, target: Target): Scored[] {
  const core = foldShapes(identifierCore(target.value));
  if (core.length < TOLERANT_MIN_IDENTIFIER_CHARS) return [];
  return findConcatenated(
    page.norms,
    target.tokenCount,
    (text) => (levenshtein(foldShapes(identifierCore(text)), core) === 1 ? TOLERANT_SCORE : 0),
    TOLERANT_SCORE,
    foldShapes(target.normalized).length + 12,
  );
}

/**
 * A date one digit edit from the value: up to five words printing a date whose numbers are one edit from
 * the value's (`23/12/2017` for 22/12/2017), or, where OCR made the print an impossible date (`00/03/2018`,
 * `14 Mar 2618`), words whose normalised text is one edit from the value's.
 */
function findDateOff(page: Page, target: Target, date: ParsedDate): Scored[] {
  const want = date.printed;
  if (digitCount(want) < TOLERANT_MIN_DIGITS) return [];
  const parsed = findDate(page, (found) => found.printed !== want && levenshtein(found.printed, want) === 1);
  const printed = findConcatenated(
    page.norms,
    target.tokenCount,
    (text) => (levenshtein(text, target.normalized) === 1 ? 1 : 0),
    1,
    target.normalized.length + 1,
  );
  const seen = new Set(parsed.map((s) => `${s.start}:${s.end}`));
  return [...parsed, ...printed.filter((s) => !seen.has(`${s.start}:${s.end}`))].map((s) => ({ ...s, score: TOLERANT_SCORE }));
}

const digitCount = (text: string): number => text.replace(/[^0-9]/g, '').length;
