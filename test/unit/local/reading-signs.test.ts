import { describe, expect, it } from 'vitest';
import type { TextractBlock } from '../../../local/textract/blocks';
import {
  parseCleanupMode,
  parseSecondReadingMode,
  readingMeasures,
  readingSigns,
  wantsCleanup,
  secondReadingOf,
} from '../../../local/textract/reading-signs';
import { compareReadings, describeMeasures, isNoise, isWordLike } from '../../../src/textract/reading-quality';

const line = (top: number, confidence: number, words: string[]): TextractBlock[] => {
  const box = { Width: 0.5, Height: 0.02, Left: 0.1, Top: top };
  const geometry = { BoundingBox: box, Polygon: [] };
  return [
    { BlockType: 'LINE', Id: `l${top}`, Confidence: confidence, Text: words.join(' '), Geometry: geometry, Page: 1 },
    ...words.map((text, i): TextractBlock => ({
      BlockType: 'WORD',
      Id: `w${top}-${i}`,
      Confidence: confidence,
      Text: text,
      Geometry: geometry,
      Page: 1,
    })),
  ];
};

describe('second reading signs', () => {
  it('reads a clean page from its top as needing no second reading', () => {
    // Prepare
    const page = [...line(0.02, 92, ['BLUE', 'HERON', 'MARKET']), ...line(0.1, 90, ['TOTAL', '8.32'])];
    // Act
    const signs = readingSigns(page);
    // Assess
    expect(signs).toMatchObject({ lowConfidenceLines: 0, firstLineTop: 0.02 });
    expect(secondReadingOf(signs, 'auto')).toEqual({ covers: 'none' });
    expect(secondReadingOf(signs, 'always')).toEqual({ covers: 'page' });
  });

  it('reads bands of rows again for a missing heading or mostly unsure lines, and the whole page when the reading looks like noise', () => {
    const headingMissing = [...line(0.3, 92, ['TOTAL', '8.32']), ...line(0.4, 90, ['CASH', '10.00'])];
    // Mostly unsure lines (below 70) in a reading that is not noise (plausibility 60 or more).
    const unsure = [...line(0.02, 55, ['BLUE', 'HERON']), ...line(0.1, 60, ['TOTAL', '8.32']), ...line(0.2, 95, ['CASH', '10.00'])];
    const noise = [...line(0.02, 65, ['a', 'b', 'c', 'd'])];
    const unsureBelowAMissingHeading = [...line(0.3, 62, ['TOTAL', '8.32']), ...line(0.4, 64, ['CASH', '10.00'])];
    const unsureNoise = [...line(0.02, 40, ['BLUE', 'HERON']), ...line(0.1, 45, ['TOTAL', '8.32']), ...line(0.2, 90, ['CASH', '10.00'])];
    expect(secondReadingOf(readingSigns(headingMissing), 'auto')).toEqual({ covers: 'bands', heading: true, unsureLines: false });
    expect(secondReadingOf(readingSigns(unsure), 'auto')).toEqual({ covers: 'bands', heading: false, unsureLines: true });
    expect(secondReadingOf(readingSigns(unsureBelowAMissingHeading), 'auto')).toEqual({
      covers: 'bands',
      heading: true,
      unsureLines: true,
    });
    for (const page of [noise, unsureNoise]) expect(secondReadingOf(readingSigns(page), 'auto')).toEqual({ covers: 'page' });
    expect(secondReadingOf(readingSigns(headingMissing), 'always')).toEqual({ covers: 'page' });
    expect(secondReadingOf(readingSigns(headingMissing), 'never')).toEqual({ covers: 'none' });
  });

  it('reads DOCTRAIN_OCR_SECOND_READING strictly', () => {
    expect(parseSecondReadingMode(undefined)).toBe('auto');
    expect(parseSecondReadingMode('ALWAYS')).toBe('always');
    expect(() => parseSecondReadingMode('twice')).toThrow(/auto, always, never/);
  });
});

describe('text or noise', () => {
  const receipt = [
    ...line(0.02, 92, ['BLUE', 'HERON', 'MARKET']),
    ...line(0.1, 90, ['TOTAL', '8.32', 'RM3.20']),
    ...line(0.2, 48, ['x', '1', 'CASH']),
  ];
  const noise = [...line(0.02, 30, ['"', '.', '|', "'", ')', '-', 'Ba', 'v', '~~']), ...line(0.1, 62, ['Sa', 'oo'])];

  it('tells word-like tokens from the rest', () => {
    expect(['TOTAL', '8.32', 'RM3.20', '(12)', 'Ba'].every(isWordLike)).toBe(true);
    expect(['|', '~~', 'x', '1', "'.'", 'a.,;'].some(isWordLike)).toBe(false);
  });

  it('measures a reading and tells noise from text by its measures', () => {
    const text = readingMeasures(receipt);
    const junk = readingMeasures(noise);
    expect(text).toMatchObject({ words: 9, wordLikeShare: 7 / 9, confidentWords: 6 });
    expect(junk).toMatchObject({ words: 11, confidentWords: 2 });
    expect(isNoise(text)).toBe(false);
    expect(isNoise(junk)).toBe(true);
    // Nothing read, or no confident word: noise; one confident word (a stamp `PAID`): text.
    expect(isNoise(readingMeasures([]))).toBe(true);
    expect(isNoise(readingMeasures(line(0.1, 56, ['1', '|'])))).toBe(true);
    expect(isNoise(readingMeasures(line(0.1, 95, ['PAID'])))).toBe(false);
    expect(compareReadings(text, junk)).toBeGreaterThan(0);
    expect(compareReadings(junk, text)).toBeLessThan(0);
    expect(describeMeasures(junk)).toBe('11 words, mean confidence 36, 27% word-like, 2 confident words (18% of the words)');
  });

  it('cleans up a noise reading, one that gave little text or one unsure of its words, never a good one in auto', () => {
    // 40 words, 20 of them confident: text, but a mean confidence of 57.
    const unsure = [
      ...line(
        0.1,
        50,
        Array.from({ length: 20 }, (_, i) => `WORD${i}`),
      ),
      ...line(
        0.2,
        64,
        Array.from({ length: 20 }, (_, i) => `ITEM${i}`),
      ),
    ];
    expect(isNoise(readingMeasures(unsure))).toBe(false);
    expect(wantsCleanup(readingMeasures(unsure), 'auto')).toBe(true);
    const many = line(
      0.1,
      90,
      Array.from({ length: 20 }, (_, i) => `WORD${i}`),
    );
    expect(wantsCleanup(readingMeasures(noise), 'auto')).toBe(true);
    expect(wantsCleanup(readingMeasures(receipt), 'auto')).toBe(true); // 6 confident words: little text
    expect(wantsCleanup(readingMeasures(many), 'auto')).toBe(false);
    expect(wantsCleanup(readingMeasures(many), 'always')).toBe(true);
    expect(wantsCleanup(readingMeasures(noise), 'never')).toBe(false);
    expect(() => parseCleanupMode('sometimes')).toThrow(/DOCTRAIN_OCR_CLEANUP must be one of auto, always, never/);
  });
});
