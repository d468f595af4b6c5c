/**
 * What a first reading of a page says about whether a second one (layout analysis, merged line by line:
 * merge-readings.ts) can help, measured on the reading itself rather than decided per document type:
 * - low-confidence lines: tesseract's mode 6 garbles headings in another font or size, and those lines come
 *   back with low confidence;
 * - a heading band with no words: mode 6 drops the shop name printed large above the text, so the first
 *   line it found starts well below the top of the text the page holds;
 * - a noise-like reading (low plausibility: short "words" at middling confidence).
 * The thresholds are calibrated on real receipts (bench:ocr prints how many pages took the second reading
 * and what it bought); DOCTRAIN_OCR_SECOND_READING=always|never overrides the decision.
 *
 * Before any of that, whether the page must be cleaned up and read again (page-cleanup.ts): the reading's
 * text-or-noise measures (src/textract/reading-quality.ts: mean word confidence, share of word-like tokens,
 * text density; the dataset builder quarantines by the same measures) say it is noise, or weak
 * (CLEANUP_WHEN); the better of the readings wins by the same measures (compareReadings).
 * DOCTRAIN_OCR_CLEANUP=always|never overrides that decision.
 */
import { isNoise, measureReading, type ReadingMeasures } from '../../src/textract/reading-quality';
import type { TextractBlock } from './blocks';
import { meanConfidence } from './merge-readings';

/** The text-or-noise measures (src/textract/reading-quality.ts) of a reading's WORD blocks. */
export const readingMeasures = (blocks: readonly TextractBlock[]): ReadingMeasures =>
  measureReading(blocks.filter((b) => b.BlockType === 'WORD').map((w) => ({ text: w.Text ?? '', confidence: w.Confidence ?? 0 })));

/**
 * How plausible a reading is: the mean word confidence, scaled down when the mean word has fewer than 3
 * letters or digits (text read sideways comes back as a scatter of 1-2 character "words", sometimes with
 * middling confidence). Upright real receipts score 51-79 here; sideways or upside-down ones 19-39.
 */
export const plausibility = (blocks: readonly TextractBlock[]): number => {
  const words = blocks.filter((b) => b.BlockType === 'WORD');
  if (words.length === 0) return 0;
  const meanLength = words.reduce((sum, w) => sum + (w.Text ?? '').replace(/[^\p{L}\p{N}]/gu, '').length, 0) / words.length;
  return meanConfidence(blocks) * Math.min(1, meanLength / 3);
};

export interface ReadingSigns {
  /** Share of the reading's lines whose confidence is below LOW_LINE_CONFIDENCE. */
  lowConfidenceLines: number;
  /** Where the first line starts, as a share of the page height (its top edge: 0). */
  firstLineTop: number;
  plausibility: number;
  /** Text or noise (src/textract/reading-quality.ts). */
  measures: ReadingMeasures;
}

export const LOW_LINE_CONFIDENCE = 70;

/** A LINE block the reading is unsure of: its confidence below LOW_LINE_CONFIDENCE. */
export const isUnsureLine = (line: TextractBlock): boolean => (line.Confidence ?? 0) < LOW_LINE_CONFIDENCE;

export const readingSigns = (blocks: readonly TextractBlock[]): ReadingSigns => {
  const lines = blocks.filter((b) => b.BlockType === 'LINE');
  return {
    lowConfidenceLines: lines.length === 0 ? 0 : lines.filter(isUnsureLine).length / lines.length,
    firstLineTop: Math.min(1, ...lines.map((l) => l.Geometry.BoundingBox.Top)),
    plausibility: plausibility(blocks),
    measures: readingMeasures(blocks),
  };
};

export const SECOND_READING_MODES = ['auto', 'always', 'never'] as const;
export type SecondReadingMode = (typeof SECOND_READING_MODES)[number];

const parseMode = (variable: string, value: string | undefined): SecondReadingMode => {
  const mode = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(SECOND_READING_MODES as readonly string[]).includes(mode)) {
    throw new RangeError(`${variable} must be one of ${SECOND_READING_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return mode as SecondReadingMode;
};

export const parseSecondReadingMode = (value: string | undefined): SecondReadingMode => parseMode('DOCTRAIN_OCR_SECOND_READING', value);

/** When to clean a page up and read it again: the same three choices. */
export type CleanupMode = SecondReadingMode;

export const parseCleanupMode = (value: string | undefined): CleanupMode => parseMode('DOCTRAIN_OCR_CLEANUP', value);

/**
 * The `auto` clean-up decision: a noise reading (isNoise), one that gave little text (fewer confident
 * word-like tokens than `confidentWordsBelow`), or one unsure of its words (mean word confidence below
 * `meanConfidenceBelow`: faded or grey prints). Calibrated on the first 50 SROIE receipts read with the
 * clean-up on every page (bench:ocr --cleanup always; bench/README.md): the pages whose first reading is
 * below 58 gain most (+0.06 to +0.21 normalised recall, none lost), those above gain or lose a little.
 */
export const CLEANUP_WHEN = { confidentWordsBelow: 15, meanConfidenceBelow: 58 } as const;

export const wantsCleanup = (measures: ReadingMeasures, mode: CleanupMode): boolean => {
  if (mode !== 'auto') return mode === 'always';
  return (
    isNoise(measures) ||
    measures.confidentWords < CLEANUP_WHEN.confidentWordsBelow ||
    measures.meanConfidence < CLEANUP_WHEN.meanConfidenceBelow
  );
};

/** The thresholds of the `auto` decision (calibrated with bench:ocr on the SROIE receipts; see bench/README.md). */
export const SECOND_READING_WHEN = { lowConfidenceLinesAbove: 0.5, firstLineTopAbove: 0.1, plausibilityBelow: 60 } as const;

/**
 * What the second reading covers: nothing, bands of rows (the heading band above the first line when it holds
 * no words; the lines the first reading was unsure of, when most were), or the whole page (a noise-like
 * reading, or `always`). Reading the bands alone (row-bands.ts) finds the shop name mode 6 dropped and reads
 * the unsure lines again at the cost of their rows rather than the page's (bench:ocr; bench/README.md).
 */
export type SecondReading = { covers: 'none' } | { covers: 'page' } | { covers: 'bands'; heading: boolean; unsureLines: boolean };

export const secondReadingOf = (signs: ReadingSigns, mode: SecondReadingMode): SecondReading => {
  if (mode !== 'auto') return { covers: mode === 'always' ? 'page' : 'none' };
  if (signs.plausibility < SECOND_READING_WHEN.plausibilityBelow) return { covers: 'page' };
  const heading = signs.firstLineTop > SECOND_READING_WHEN.firstLineTopAbove;
  const unsureLines = signs.lowConfidenceLines > SECOND_READING_WHEN.lowConfidenceLinesAbove;
  return heading || unsureLines ? { covers: 'bands', heading, unsureLines } : { covers: 'none' };
};
