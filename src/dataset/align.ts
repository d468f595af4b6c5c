import { labelForField, type Fields } from './annotations';
import { asDigits, isNumeric, normalizeToken, similarity } from './normalize';

/**
 * Weak labelling: finds each annotated value among the OCR words and tags the span BIO.
 *
 * Matching compares the normalised concatenation of a span of words with the normalised value
 * (see normalizeToken), so a value token split over two words or two tokens merged into one word
 * still match. Text values need character similarity >= minSimilarity (OCR errors); numeric values
 * must match exactly after mapping letter/digit look-alikes (O->0, l->1, S->5...), because one wrong
 * digit is a different amount.
 *
 * Assignment: values are placed longest first (a short item name cannot steal a word from the company
 * name it is part of), each taking its best free span (highest similarity, then earliest, then fewest
 * words); spans never overlap. Equal values (subtotal == total, or a repeated item) therefore take
 * successive occurrences in document order, in field order. That is a heuristic: when a receipt prints
 * the same amount twice, which occurrence is "the total" is ambiguous and not resolved by keywords.
 */
export const DEFAULT_MIN_SIMILARITY = 0.8;

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
  readonly normalized: string;
  readonly numeric: boolean;
  readonly tokenCount: number;
  /** Field order, then array index: the tie-break that keeps repeated values in document order. */
  readonly order: number;
}

interface Candidate {
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

export function alignFields(words: readonly { readonly text: string }[], fields: Fields, options: AlignOptions = {}): Alignment {
  const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  const norms = words.map((w) => normalizeToken(w.text));
  // Per word, so a currency prefix is only stripped from the word holding the amount ("RM8.32"), never
  // from a keyword before it ("TAX 0.62").
  const digitNorms = norms.map(asDigits);
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
      const tokenCount = value.split(/\s+/).filter((t) => t !== '').length;
      targets.push({ field, value, normalized, numeric: isNumeric(normalized), tokenCount, order: order++ });
    }
  }

  const used = new Array<boolean>(words.length).fill(false);
  const spans: AlignedSpan[] = [];
  const byLength = [...targets].sort((a, b) => b.normalized.length - a.normalized.length || a.order - b.order);
  for (const target of byLength) {
    const candidates = findCandidates(target.numeric ? digitNorms : norms, target, minSimilarity);
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
  if (a.start !== b.start) return a.start < b.start;
  return a.end - a.start < b.end - b.start;
}

function findCandidates(norms: readonly string[], target: Target, minSimilarity: number): Candidate[] {
  const want = target.normalized;
  // OCR may split a token in two, and punctuation-only words may sit inside a span.
  const maxWords = target.tokenCount * 2 + 3;
  const maxChars = target.numeric ? want.length + 3 : Math.ceil(want.length / minSimilarity) + 1;
  const out: Candidate[] = [];
  for (let start = 0; start < norms.length; start++) {
    // Spans start and end on a word with content, so a stray "," or "$" is never labelled at the edges.
    if (norms[start] === '') continue;
    let text = '';
    for (let end = start + 1; end <= norms.length && end - start <= maxWords; end++) {
      const piece = norms[end - 1] as string;
      text += piece;
      if (text.length > maxChars) break;
      if (piece === '') continue;
      const score = target.numeric ? (text === want ? 1 : 0) : similarity(text, want);
      if (score >= minSimilarity) out.push({ start, end, score });
    }
  }
  return out;
}
