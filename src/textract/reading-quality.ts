/**
 * Whether a page's OCR reading is text or noise, measured on the words alone (their text and confidence),
 * so the same rule works on any Textract-shaped reading: the local OCR uses it to decide that a page must
 * be cleaned up and read again, and to pick the better of two readings (local/textract/reading-signs.ts);
 * the dataset builder uses it to quarantine a document whose reading is still noise as unreadable
 * (src/dataset/build.ts) instead of trying to align an annotation onto it.
 *
 * A noise reading is what OCR makes of a page it cannot see: a faint print on grey paper beside a dark
 * scanner border comes back as hundreds of one- or two-character "words" (`" . | ' ) - Ba v ~~`) at low
 * confidence, or as nothing at all. Three measures tell it from text:
 * - the mean word confidence;
 * - the share of word-like tokens: at least two letters or digits, which make up most of the token
 *   (`TOTAL`, `8.32`, `RM3.20`; not `|`, `~~`, `Ba.'`);
 * - the text density: the share of the tokens that are word-like and read with confidence (CONFIDENT_WORD),
 *   how much of what was read is text.
 * Thresholds (NOISE_WHEN) are calibrated on the SROIE receipts (bench:ocr prints the measures of the worst
 * pages; bench/README.md): no readable receipt there comes near them.
 */

/** What the measures need of a word: its text and its confidence (0..100). */
export interface ReadWord {
  readonly text: string;
  readonly confidence: number;
}

export interface ReadingMeasures {
  /** Tokens read. */
  words: number;
  /** Mean confidence of the tokens (0 without any). */
  meanConfidence: number;
  /** Share of the tokens that are word-like (0 without any). */
  wordLikeShare: number;
  /** Word-like tokens read with at least CONFIDENT_WORD confidence. */
  confidentWords: number;
  /** confidentWords over the tokens (0 without any): the text density of the reading. */
  density: number;
}

/** Confidence from which a word-like token counts as text read (tesseract's and Textract's 0..100 scale). */
export const CONFIDENT_WORD = 60;

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/gu;

/** At least two letters or digits, making up at least 60% of the token once punctuation is trimmed from its ends. */
export const isWordLike = (text: string): boolean => {
  const core = text.trim().replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, '');
  const alnum = core.match(LETTER_OR_DIGIT)?.length ?? 0;
  return alnum >= 2 && alnum >= 0.6 * [...core].length;
};

export const measureReading = (words: readonly ReadWord[]): ReadingMeasures => {
  if (words.length === 0) return { words: 0, meanConfidence: 0, wordLikeShare: 0, confidentWords: 0, density: 0 };
  let confidence = 0;
  let wordLike = 0;
  let confident = 0;
  for (const w of words) {
    confidence += w.confidence;
    if (!isWordLike(w.text)) continue;
    wordLike += 1;
    if (w.confidence >= CONFIDENT_WORD) confident += 1;
  }
  return {
    words: words.length,
    meanConfidence: confidence / words.length,
    wordLikeShare: wordLike / words.length,
    confidentWords: confident,
    density: confident / words.length,
  };
};

/**
 * A reading is noise when it holds no confident word-like token (nothing at all, or `1 |`), or when it is unsure of its tokens (mean confidence below
 * `meanConfidenceBelow`) and they are mostly not words (word-like share below `wordLikeShareBelow`) or
 * hardly text (density below `densityBelow`). Noise comes back as two-letter "words" (`Sa`, `oo`, `Ce`) as
 * often as as punctuation, so the density decides most pages. A short page read with confidence (a stamp
 * `PAID`) is not noise.
 */
export const NOISE_WHEN = { meanConfidenceBelow: 50, wordLikeShareBelow: 0.5, densityBelow: 0.2 } as const;

export const isNoise = (m: ReadingMeasures): boolean =>
  m.confidentWords === 0 ||
  (m.meanConfidence < NOISE_WHEN.meanConfidenceBelow &&
    (m.wordLikeShare < NOISE_WHEN.wordLikeShareBelow || m.density < NOISE_WHEN.densityBelow));

/**
 * Orders two readings of one page by the same measures: a text reading beats a noise reading; among readings
 * of the same kind, the one with more confident word-like tokens, then the higher mean confidence. Positive
 * when `a` is the better one.
 */
export const compareReadings = (a: ReadingMeasures, b: ReadingMeasures): number =>
  Number(!isNoise(a)) - Number(!isNoise(b)) || a.confidentWords - b.confidentWords || a.meanConfidence - b.meanConfidence;

/** The measures as a reason reads them: `236 words, mean confidence 31, 9% word-like, 1 confident word (0% of the words)`. */
export const describeMeasures = (m: ReadingMeasures): string =>
  `${m.words} word${m.words === 1 ? '' : 's'}, mean confidence ${Math.round(m.meanConfidence)}, ` +
  `${Math.round(m.wordLikeShare * 100)}% word-like, ${m.confidentWords} confident word${m.confidentWords === 1 ? '' : 's'} ` +
  `(${Math.round(m.density * 100)}% of the words)`;
