import { labelForField, type Fields } from '../contracts/annotation';
import {
  amountsEqual,
  asDigits,
  datesEqual,
  findDates,
  foldShapes,
  normalizeToken,
  parseAmount,
  parseDate,
  similarity,
  valueKind,
  type Amount,
  type ParsedDate,
  type ValueKind,
} from './normalize';

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
 * naming the field (`TOTAL 9.00` for `total`, `Date: 25/12/2018` for `date`), then earliest, then
 * fewest words. Spans never overlap. Equal values (subtotal == total, or a repeated item) therefore
 * take successive occurrences in document order, unless a keyword says which is which.
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
/** How many words before a span are searched for the field's name. */
const KEYWORD_LOOKBACK = 3;

export type UnalignedReason = 'empty_value' | 'not_found' | 'overlap';

export interface UnalignedField {
  readonly field: string;
  readonly value: string;
  readonly reason: UnalignedReason;
}

export interface AlignedSpan {
  readonly field: string;
  readonly value: string;
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
  /** A word naming the field stands right before the span. */
  readonly keyword: boolean;
}

/** What every matcher needs of the page, computed once per document. */
interface Page {
  readonly texts: readonly string[];
  /** normalizeToken of each word. */
  readonly norms: readonly string[];
  /** foldShapes(norms): for fuzzy text. */
  readonly folded: readonly string[];
  /** asDigits(norms): for digit-only values. */
  readonly digits: readonly string[];
}

export function alignFields(words: readonly { readonly text: string }[], fields: Fields, options: AlignOptions = {}): Alignment {
  const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  const norms = words.map((w) => normalizeToken(w.text));
  const page: Page = { texts: words.map((w) => w.text), norms, folded: norms.map(foldShapes), digits: norms.map(asDigits) };
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
  const byLength = [...targets].sort((a, b) => b.normalized.length - a.normalized.length || a.order - b.order);
  for (const target of byLength) {
    const keywords = new Set(target.field.split('_').filter((t) => t.length >= 3));
    const candidates = findCandidates(page, target, minSimilarity).map((c) => ({ ...c, keyword: precededBy(page, c.start, keywords) }));
    const free = candidates.filter((c) => !used.slice(c.start, c.end).some(Boolean));
    if (free.length === 0) {
      const reason = candidates.length === 0 ? 'not_found' : 'overlap';
      unaligned.push({ order: target.order, entry: { field: target.field, value: target.value, reason } });
      continue;
    }
    const best = free.reduce((a, b) => (isBetter(b, a) ? b : a));
    for (let i = best.start; i < best.end; i++) used[i] = true;
    spans.push({ field: target.field, value: target.value, start: best.start, end: best.end, score: best.score });
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
  if (a.keyword !== b.keyword) return a.keyword;
  if (a.start !== b.start) return a.start < b.start;
  return a.end - a.start < b.end - b.start;
}

/** Whether one of the few words with content before `start` is a word of the field's name. */
function precededBy(page: Page, start: number, keywords: ReadonlySet<string>): boolean {
  let seen = 0;
  for (let i = start - 1; i >= 0 && seen < KEYWORD_LOOKBACK; i--) {
    const norm = page.norms[i] as string;
    if (norm === '') continue;
    if (keywords.has(norm)) return true;
    seen++;
  }
  return false;
}

type Scored = Omit<Candidate, 'keyword'>;

function findCandidates(page: Page, target: Target, minSimilarity: number): Scored[] {
  switch (target.kind) {
    case 'amount':
      return [...(target.amount ? findAmounts(page, target.amount) : []), ...findDigits(page, target, DIGITS_ONLY_SCORE)];
    case 'date':
      return [...(target.date ? findDate(page, target.date) : []), ...findDigits(page, target, DIGITS_ONLY_SCORE)];
    case 'number':
      return findDigits(page, target, 1);
    case 'text': {
      const want = foldShapes(target.normalized);
      const maxChars = Math.ceil(want.length / minSimilarity) + 1;
      const spans = findConcatenated(page.folded, target.tokenCount, (text) => similarity(text, want), minSimilarity, maxChars);
      return spans.length > 0 || target.tokenCount < 3 ? spans : findTokenWindows(page, target.value, minSimilarity);
    }
  }
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

/** One word, or two when OCR split the amount at its decimal point (`9.` `00`), that read as the amount. */
function findAmounts(page: Page, amount: Amount): Scored[] {
  const out: Scored[] = [];
  page.texts.forEach((text, start) => {
    const single = parseAmount(text);
    if (single && amountsEqual(amount, single)) {
      out.push({ start, end: start + 1, score: 1 });
      return;
    }
    const next = page.texts[start + 1];
    if (next !== undefined && /[0-9]/.test(text) && (/[.,]$/.test(text) || /^[.,]/.test(next))) {
      const joined = parseAmount(`${text}${next}`);
      if (joined && amountsEqual(amount, joined)) out.push({ start, end: start + 2, score: SPLIT_AMOUNT_SCORE });
    }
  });
  return out;
}

/** Up to five words whose text prints the date, starting in the first word and ending in the last. */
function findDate(page: Page, date: ParsedDate): Scored[] {
  const out: Scored[] = [];
  for (let start = 0; start < page.texts.length; start++) {
    if (!/[0-9]/.test(page.texts[start] as string)) continue;
    let text = '';
    for (let end = start + 1; end <= Math.min(page.texts.length, start + 5); end++) {
      const word = page.texts[end - 1] as string;
      const from = text.length === 0 ? 0 : text.length + 1;
      text = text.length === 0 ? word : `${text} ${word}`;
      const hit = findDates(text).some((found) => found.index < (page.texts[start] as string).length && found.index + found.length > from && datesEqual(date, found));
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
