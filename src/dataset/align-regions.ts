import type { OcrPage } from '../contracts/ocr-document';
import { labelForField, type LabelledBox, type LabelledWord, type PageBox } from '../contracts/annotation';
import { normalizeToken, similarity } from './normalize';

/**
 * Alignment of labelled boxes and labelled words (contract 1) onto OCR words, as BIO labels.
 *
 * Coordinates: annotation boxes are page ratios (0..1), OCR word boxes are 0..1000 in the page's
 * frame (contract 2); both are compared on the 0..1000 scale. A box or word without `page` is on page 1.
 *
 * Boxes: an OCR word belongs to the box that covers the largest share of the word's area, provided that
 * share is at least `minBoxCoverage` (default half the word). Overlapping boxes: the higher share wins,
 * then the smaller box (the more specific region, e.g. a total inside a totals panel), then the box that
 * comes first in the annotation. The words of one box take `B-` on the first word of each run of
 * consecutive words (reading order) and `I-` on the rest, so two boxes side by side stay two entities.
 *
 * Words with a box: an OCR word goes to the labelled word whose box it overlaps most, measured as the
 * intersection over the smaller of the two areas (so an OCR word split in two, or two words merged into
 * one, still match), at least `minBoxCoverage`; the text must then agree loosely (similarity of the
 * normalised texts >= `minBoxedTextSimilarity`, or the OCR text contains the labelled text), otherwise
 * the word is reported as `text_mismatch` and its OCR words stay `O`.
 * Words without a box: matched by text in reading order: each labelled word takes the nearest free run
 * of one to three consecutive OCR words on its page (at or after where the previous labelled word
 * matched, else the nearest before it) whose normalised text has similarity >= `minSimilarity`.
 * Entities: words with the same `entity` id form one entity; words without an id form one entity with
 * the consecutive words of the same label on the same page.
 *
 * Labels come out for the words of `pages` concatenated in the order given (a per-page record takes its
 * slice by the pages' word counts).
 */
export const DEFAULT_MIN_BOX_COVERAGE = 0.5;
export const DEFAULT_MIN_WORD_TEXT_SIMILARITY = 0.8;
export const DEFAULT_MIN_BOXED_TEXT_SIMILARITY = 0.5;
/** An OCR engine splits one printed word into at most this many words (e.g. "8." "3" "2"). */
const MAX_WORDS_PER_LABELLED_WORD = 3;

export type RegionUnalignedReason = 'page_not_found' | 'no_words_in_box' | 'overlap' | 'not_found' | 'text_mismatch';

/** Same shape as a key field's report entry: `field` is the label key, `value` says which annotation. */
export interface UnalignedRegion {
  readonly field: string;
  readonly value: string;
  readonly reason: RegionUnalignedReason;
}

export interface AlignedRegion {
  readonly field: string;
  readonly value: string;
  /** Indexes of the OCR words it labelled, ascending (reading order). */
  readonly wordIndexes: readonly number[];
}

export interface RegionAlignment {
  /** One BIO label per OCR word of `pages`, in order: `B-<LABEL>`, `I-<LABEL>` or `O`. */
  readonly labels: string[];
  /** In annotation order. */
  readonly aligned: AlignedRegion[];
  /** In annotation order. */
  readonly unaligned: UnalignedRegion[];
}

export interface RegionAlignOptions {
  readonly minBoxCoverage?: number;
  readonly minSimilarity?: number;
  readonly minBoxedTextSimilarity?: number;
}

type Rect = readonly [x0: number, y0: number, x1: number, y1: number];

interface PlacedWord {
  readonly index: number;
  readonly page: number;
  readonly rect: Rect;
  readonly text: string;
  readonly norm: string;
}

interface PlacedPages {
  readonly count: number;
  /** Every OCR word, by index. */
  readonly all: readonly PlacedWord[];
  readonly byPage: ReadonlyMap<number, readonly PlacedWord[]>;
}

/** What one annotation (box or word) claims, and how strongly, for the owner of each OCR word. */
interface Claim {
  readonly owner: number;
  readonly share: number;
  readonly tieBreak: number;
}

function placeWords(pages: readonly OcrPage[]): PlacedPages {
  const byPage = new Map<number, PlacedWord[]>();
  const all: PlacedWord[] = [];
  for (const page of pages) {
    const list = byPage.get(page.page) ?? [];
    for (const word of page.words) {
      const placed = { index: all.length, page: page.page, rect: word.box, text: word.text, norm: normalizeToken(word.text) };
      list.push(placed);
      all.push(placed);
    }
    byPage.set(page.page, list);
  }
  return { count: all.length, all, byPage };
}

function toRect(box: PageBox): Rect {
  return [box.left * 1000, box.top * 1000, (box.left + box.width) * 1000, (box.top + box.height) * 1000];
}

function area([x0, y0, x1, y1]: Rect): number {
  return Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
}

function intersection(a: Rect, b: Rect): number {
  return Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
}

function centreInside(inner: Rect, outer: Rect): boolean {
  const cx = (inner[0] + inner[2]) / 2;
  const cy = (inner[1] + inner[3]) / 2;
  return cx >= outer[0] && cx <= outer[2] && cy >= outer[1] && cy <= outer[3];
}

/** Share of `word` inside `region` (a zero-area word counts as inside when its centre is). */
function coverage(word: Rect, region: Rect): number {
  const wordArea = area(word);
  if (wordArea === 0) return centreInside(word, region) ? 1 : 0;
  return intersection(word, region) / wordArea;
}

/** Overlap measured against the smaller of the two rectangles. */
function overlapOfSmaller(a: Rect, b: Rect): number {
  const smaller = Math.min(area(a), area(b));
  if (smaller === 0) return centreInside(a, b) || centreInside(b, a) ? 1 : 0;
  return intersection(a, b) / smaller;
}

/** Higher share wins; on a tie, the lower tieBreak; on a tie again, the claim made first. */
function wins(challenger: Claim, holder: Claim | undefined): boolean {
  if (holder === undefined) return true;
  if (Math.abs(challenger.share - holder.share) > 1e-9) return challenger.share > holder.share;
  return challenger.tieBreak < holder.tieBreak;
}

const describeBox = (index: number, page: number, b: PageBox): string =>
  `box ${index + 1} on page ${page} (left ${b.left.toFixed(3)}, top ${b.top.toFixed(3)}, width ${b.width.toFixed(3)}, height ${b.height.toFixed(3)})`;

/**
 * BIO tags from word ownership: a word starts an entity unless the word before it in reading order
 * belongs to the same entity group.
 */
function bioTags(
  count: number,
  owners: readonly (number | undefined)[],
  labelOf: (owner: number) => string,
  groupOf: (owner: number, wordIndex: number) => string,
): string[] {
  const labels = new Array<string>(count).fill('O');
  for (let i = 0; i < count; i++) {
    const owner = owners[i];
    if (owner === undefined) continue;
    const label = labelForField(labelOf(owner));
    const previous = i > 0 ? owners[i - 1] : undefined;
    const continues = previous !== undefined && groupOf(previous, i - 1) === groupOf(owner, i);
    labels[i] = `${continues ? 'I' : 'B'}-${label}`;
  }
  return labels;
}

function wordIndexesByOwner(owners: readonly (number | undefined)[], ownerCount: number): number[][] {
  const lists = Array.from({ length: ownerCount }, () => [] as number[]);
  owners.forEach((owner, index) => {
    if (owner !== undefined) lists[owner]?.push(index);
  });
  return lists;
}

export function alignBoxes(pages: readonly OcrPage[], boxes: readonly LabelledBox[], options: RegionAlignOptions = {}): RegionAlignment {
  const minCoverage = options.minBoxCoverage ?? DEFAULT_MIN_BOX_COVERAGE;
  const placed = placeWords(pages);
  const claims = new Array<Claim | undefined>(placed.count);
  const candidateCounts = boxes.map(() => 0);
  boxes.forEach((box, owner) => {
    const rect = toRect(box.box);
    for (const word of placed.byPage.get(box.page ?? 1) ?? []) {
      const share = coverage(word.rect, rect);
      if (share < minCoverage) continue;
      candidateCounts[owner] = (candidateCounts[owner] ?? 0) + 1;
      const claim = { owner, share, tieBreak: area(rect) };
      if (wins(claim, claims[word.index])) claims[word.index] = claim;
    }
  });
  const owners = claims.map((claim) => claim?.owner);
  const wordsOf = wordIndexesByOwner(owners, boxes.length);
  const aligned: AlignedRegion[] = [];
  const unaligned: UnalignedRegion[] = [];
  boxes.forEach((box, owner) => {
    const page = box.page ?? 1;
    const value = describeBox(owner, page, box.box);
    const wordIndexes = wordsOf[owner] ?? [];
    if (!placed.byPage.has(page)) unaligned.push({ field: box.label, value, reason: 'page_not_found' });
    else if (wordIndexes.length > 0) aligned.push({ field: box.label, value, wordIndexes });
    // Words under the box, all of them taken by a box that covers them better.
    else if ((candidateCounts[owner] ?? 0) > 0) unaligned.push({ field: box.label, value, reason: 'overlap' });
    else unaligned.push({ field: box.label, value, reason: 'no_words_in_box' });
  });
  const labels = bioTags(
    placed.count,
    owners,
    (owner) => (boxes[owner] as LabelledBox).label,
    (owner) => String(owner),
  );
  return { labels, aligned, unaligned };
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/** Runs of 1..MAX consecutive OCR words of a page whose joined text matches `word`'s text. */
function textSpans(pageWords: readonly PlacedWord[], word: LabelledWord, minSimilarity: number): Span[] {
  const want = normalizeToken(word.text);
  const spans: Span[] = [];
  for (let s = 0; s < pageWords.length; s++) {
    const first = pageWords[s] as PlacedWord;
    if (want === '') {
      // Punctuation only ("-", ":"): nothing to normalise, so the raw text must be equal.
      if (first.text.trim() === word.text.trim()) spans.push({ start: first.index, end: first.index + 1, score: 1 });
      continue;
    }
    let text = '';
    for (let e = s; e < pageWords.length && e - s < MAX_WORDS_PER_LABELLED_WORD; e++) {
      const piece = (pageWords[e] as PlacedWord).norm;
      if (e === s && piece === '') break; // a match starts on a word with content
      text += piece;
      if (text.length > Math.ceil(want.length / minSimilarity) + 1) break;
      if (piece === '') continue;
      const score = similarity(text, want);
      if (score >= minSimilarity) spans.push({ start: first.index, end: (pageWords[e] as PlacedWord).index + 1, score });
    }
  }
  return spans;
}

/**
 * The spans no overlapping span matches better (a higher score, then fewer words): where an OCR slip put a
 * stray token before the value ("a" "$83.07"), "a $83.07" still matches "$83.07" closely enough, and starts
 * nearer the cursor, but the exact "$83.07" beside it is the match.
 */
function bestOfOverlapping(spans: readonly Span[]): Span[] {
  const better = (a: Span, b: Span): boolean => a.score > b.score || (a.score === b.score && a.end - a.start < b.end - b.start);
  return spans.filter((span) => !spans.some((other) => other.start < span.end && span.start < other.end && better(other, span)));
}

/** Nearest span at or after the cursor (then higher score, then fewer words), else the nearest before it. */
function nearestSpan(spans: readonly Span[], cursor: number): Span | undefined {
  const rank = (s: Span): number[] => [s.start >= cursor ? 0 : 1, Math.abs(s.start - cursor), -s.score, s.end - s.start];
  let best: { span: Span; rank: number[] } | undefined;
  for (const span of spans) {
    const r = rank(span);
    if (best === undefined || compareRanks(r, best.rank) < 0) best = { span, rank: r };
  }
  return best?.span;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export function alignWords(pages: readonly OcrPage[], words: readonly LabelledWord[], options: RegionAlignOptions = {}): RegionAlignment {
  const minCoverage = options.minBoxCoverage ?? DEFAULT_MIN_BOX_COVERAGE;
  const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_WORD_TEXT_SIMILARITY;
  const minBoxedSimilarity = options.minBoxedTextSimilarity ?? DEFAULT_MIN_BOXED_TEXT_SIMILARITY;
  const placed = placeWords(pages);
  const reasons = new Map<number, RegionUnalignedReason>();

  // 1. Words with a box: by position, each OCR word to the labelled word it overlaps most.
  const claims = new Array<Claim | undefined>(placed.count);
  const candidateCounts = words.map(() => 0);
  words.forEach((word, owner) => {
    if (word.box === undefined) return;
    const rect = toRect(word.box);
    for (const ocr of placed.byPage.get(word.page ?? 1) ?? []) {
      const share = overlapOfSmaller(ocr.rect, rect);
      if (share < minCoverage) continue;
      candidateCounts[owner] = (candidateCounts[owner] ?? 0) + 1;
      // On equal shares the larger intersection wins (tieBreak is ascending, hence negated).
      const claim = { owner, share, tieBreak: -intersection(ocr.rect, rect) };
      if (wins(claim, claims[ocr.index])) claims[ocr.index] = claim;
    }
  });
  const owners: (number | undefined)[] = claims.map((claim) => claim?.owner);
  wordIndexesByOwner(owners, words.length).forEach((indexes, owner) => {
    const word = words[owner] as LabelledWord;
    if (word.box === undefined || indexes.length === 0) return;
    const want = normalizeToken(word.text);
    const got = indexes.map((i) => (placed.all[i] as PlacedWord).norm).join('');
    const agrees = similarity(got, want) >= minBoxedSimilarity || (want !== '' && got.includes(want));
    if (!agrees) {
      for (const i of indexes) owners[i] = undefined;
      reasons.set(owner, 'text_mismatch');
    }
  });

  // 2. Words without a box: by text, in reading order.
  const cursors = new Map<number, number>();
  words.forEach((word, owner) => {
    if (word.box !== undefined) return;
    const page = word.page ?? 1;
    const pageWords = placed.byPage.get(page);
    if (pageWords === undefined) return;
    const spans = textSpans(pageWords, word, minSimilarity);
    const free = spans.filter((s) => owners.slice(s.start, s.end).every((o) => o === undefined));
    const best = nearestSpan(bestOfOverlapping(free), cursors.get(page) ?? pageWords[0]?.index ?? 0);
    if (best === undefined) {
      reasons.set(owner, spans.length > 0 ? 'overlap' : 'not_found');
      return;
    }
    for (let i = best.start; i < best.end; i++) owners[i] = owner;
    cursors.set(page, best.end);
  });

  const wordsOf = wordIndexesByOwner(owners, words.length);
  const aligned: AlignedRegion[] = [];
  const unaligned: UnalignedRegion[] = [];
  words.forEach((word, owner) => {
    const wordIndexes = wordsOf[owner] ?? [];
    const report = { field: word.label, value: word.text };
    if (!placed.byPage.has(word.page ?? 1)) unaligned.push({ ...report, reason: 'page_not_found' });
    else if (wordIndexes.length > 0) aligned.push({ ...report, wordIndexes });
    else {
      const reason = reasons.get(owner) ?? ((candidateCounts[owner] ?? 0) > 0 ? 'overlap' : 'no_words_in_box');
      unaligned.push({ ...report, reason });
    }
  });
  const labels = bioTags(
    placed.count,
    owners,
    (owner) => (words[owner] as LabelledWord).label,
    (owner, wordIndex) => {
      const word = words[owner] as LabelledWord;
      const page = (placed.all[wordIndex] as PlacedWord).page;
      return word.entity === undefined ? `label:${word.label}:page:${page}` : `entity:${String(word.entity)}:${word.label}`;
    },
  );
  return { labels, aligned, unaligned };
}
