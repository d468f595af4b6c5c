/**
 * Words that name a field before its value (`TOTAL 9.00`, `Datum: 03.08.2014`, `Jumlah RM 9.00`), graded;
 * the trainer's field-name features grade them the same way (doctrain_trainer/field_names.py), and the
 * cases both must agree on are in test/fixtures/value-cases.json (`nameGrades`).
 *
 * A field's names are the words of its key (`total_amount` -> total, amount), the value table's words for
 * that key in every language (`total`: Gesamt, Totaal, Montant total, Jumlah, ...; value-rules.json) and
 * the user's (setting `fieldNames`), each compared in wordKey form (`Net à payer` -> `netapayer`).
 *
 * Grades of the word at `i`:
 * - 3: the word, or the word with the one or two content words before it, is a name (`TOTAL`, `Grand Total`,
 *   `Amount Due`), or the word is one OCR edit from a name of four or more letters (`lotal`, `Dale`);
 * - 2: the word contains a name of four or more letters (`GRANDTOTAL`, `InvoiceDate`, `Rechnungsbetrag`);
 * - 1: either of them qualified as a part (`SUB TOTAL`, `SUBTOTAL`, `Zwischensumme`, `Sous-total`);
 * - 0: none.
 */
import { levenshtein } from './normalize';
import { VALUE_WORDS } from './value-words';

/** How many content words before a span are searched for the field's name. */
export const KEYWORD_LOOKBACK = 3;
/** How many words of the same line before a span are searched for the field's name. */
export const SAME_LINE_LOOKBACK = 8;
/** Words of a name spread over several OCR words (`Amount` `Due`). */
const PHRASE_WORDS = 3;

/** The words of a page the grades need: normalised texts and, where known, boxes. */
export interface NamedPage {
  /** normalizeToken of each word ('' for punctuation). */
  readonly norms: readonly string[];
  readonly boxes: readonly (readonly number[] | undefined)[];
}

/** The content words (non-empty norms) before `index`, nearest first, at most `count`. */
function contentBefore(norms: readonly string[], index: number, count: number): string[] {
  const out: string[] = [];
  for (let i = index - 1; i >= 0 && out.length < count; i--) if (norms[i] !== '') out.push(norms[i] as string);
  return out;
}

/** The grade of the word at `index` for a field named by `names` (wordKey phrases). */
export function wordGrade(
  norms: readonly string[],
  index: number,
  names: readonly string[],
  qualifiers = VALUE_WORDS.partQualifiers,
): number {
  const norm = norms[index] ?? '';
  if (norm === '') return 0;
  const before = contentBefore(norms, index, PHRASE_WORDS - 1);
  const qualified = qualifiers.includes(before[0] ?? '');
  const phrases = [norm];
  for (const word of before) phrases.push(word + (phrases[phrases.length - 1] as string));
  const plain = names.some(
    (k) => phrases.includes(k) || (k.length >= 4 && Math.abs(norm.length - k.length) <= 1 && levenshtein(norm, k) === 1),
  );
  if (plain) return qualified ? 1 : 3;
  const compound = names.some((k) => k.length >= 4 && norm.includes(k));
  if (compound) return qualifiers.some((q) => norm.startsWith(q)) ? 1 : 2;
  return 0;
}

/** Whether two boxes share most of their height: words of one printed line. */
const sameLine = (a: readonly number[], b: readonly number[]): boolean => {
  const overlap = Math.min(a[3] ?? 0, b[3] ?? 0) - Math.max(a[1] ?? 0, b[1] ?? 0);
  const shorter = Math.min((a[3] ?? 0) - (a[1] ?? 0), (b[3] ?? 0) - (b[1] ?? 0));
  return shorter > 0 && overlap >= shorter / 2;
};

/**
 * The best grade (wordGrade) of a word naming the field before `start`: among the KEYWORD_LOOKBACK words
 * with content right before it, or, where words have boxes, anywhere earlier on its printed line (`Total
 * Sales (Inclusive of GST) 64.50`).
 */
export function nameGrade(page: NamedPage, start: number, names: readonly string[]): number {
  const gradeAt = (i: number): number => wordGrade(page.norms, i, names);
  let best = 0;
  let seen = 0;
  for (let i = start - 1; i >= 0 && seen < KEYWORD_LOOKBACK; i--) {
    if (page.norms[i] === '') continue;
    best = Math.max(best, gradeAt(i));
    seen++;
  }
  // Word by word to the left, each beside the next: a skewed scan's line drifts up or down along its length.
  let next = page.boxes[start];
  for (let i = start - 1; next !== undefined && i >= 0 && i >= start - SAME_LINE_LOOKBACK; i--) {
    const box = page.boxes[i];
    if (box === undefined || !sameLine(box, next) || (box[0] ?? 0) > (next[0] ?? 0)) break;
    best = Math.max(best, gradeAt(i));
    next = box;
  }
  return best;
}
