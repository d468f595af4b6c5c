import { describe, expect, it } from 'vitest';
import type { TextractBlock } from '../../../local/textract/blocks';
import { parseSecondReadingMode, readingSigns, wantsSecondReading } from '../../../local/textract/reading-signs';

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
    expect(wantsSecondReading(signs, 'auto')).toBe(false);
    expect(wantsSecondReading(signs, 'always')).toBe(true);
  });

  it('asks for a second reading when the heading band holds no words, when most lines are unsure, or when the reading looks like noise', () => {
    const headingMissing = [...line(0.3, 92, ['TOTAL', '8.32']), ...line(0.4, 90, ['CASH', '10.00'])];
    const unsure = [...line(0.02, 40, ['BLUE', 'HERON']), ...line(0.1, 45, ['TOTAL', '8.32']), ...line(0.2, 90, ['CASH', '10.00'])];
    const noise = [...line(0.02, 65, ['a', 'b', 'c', 'd'])];
    for (const page of [headingMissing, unsure, noise]) expect(wantsSecondReading(readingSigns(page), 'auto')).toBe(true);
    expect(wantsSecondReading(readingSigns(headingMissing), 'never')).toBe(false);
  });

  it('reads DOCTRAIN_OCR_SECOND_READING strictly', () => {
    expect(parseSecondReadingMode(undefined)).toBe('auto');
    expect(parseSecondReadingMode('ALWAYS')).toBe('always');
    expect(() => parseSecondReadingMode('twice')).toThrow(/auto, always, never/);
  });
});
