import { describe, expect, it } from 'vitest';
import type { TextractBlock } from '../../../local/textract/blocks';
import { BAND_MARGIN, bandShare, bandsToReread, stackBands } from '../../../local/textract/row-bands';
import type { GrayImage } from '../../../local/textract/page-cleanup';

/** A LINE block from row `top` to row `bottom` of a 1000-row page. */
const line = (top: number, bottom: number, confidence: number): TextractBlock => ({
  BlockType: 'LINE',
  Id: `l${top}`,
  Confidence: confidence,
  Text: 'x',
  Geometry: { BoundingBox: { Left: 0.1, Width: 0.5, Top: top / 1000, Height: (bottom - top) / 1000 }, Polygon: [] },
  Page: 1,
});

describe('bands of rows to read again', () => {
  it('takes the heading band above the first line, and each unsure line reaching half its height but never into a confident line', () => {
    // Prepare: lines at 200-220 (sure), 240-260 (unsure), 262-282 (sure), 500-520 and 525-545 (unsure).
    const blocks = [line(200, 220, 90), line(240, 260, 40), line(262, 282, 95), line(500, 520, 50), line(525, 545, 60)];
    // Act
    const heading = bandsToReread(blocks, 1000, { heading: true, unsureLines: false });
    const unsure = bandsToReread(blocks, 1000, { heading: false, unsureLines: true });
    const both = bandsToReread(blocks, 1000, { heading: true, unsureLines: true });
    // Assess
    expect(heading).toEqual([{ top: 0, bottom: 200 }]);
    // 240-260 reaches 10 rows up (230) but only to 262 below, the confident line's top; 500-520 and 525-545 join.
    expect(unsure).toEqual([
      { top: 230, bottom: 262 },
      { top: 490, bottom: 555 },
    ]);
    expect(both).toEqual([{ top: 0, bottom: 200 }, ...unsure]);
    expect(bandShare(both, 1000)).toBeCloseTo((200 + 32 + 65) / 1000, 6);
  });

  it('finds no heading band on a page whose first line starts at the top', () => {
    expect(bandsToReread([line(0, 20, 90)], 1000, { heading: true, unsureLines: true })).toEqual([]);
  });
});

describe('stacked bands', () => {
  /** A 4 x 100 image whose row r is grey level r. */
  const image: GrayImage = { width: 4, height: 100, pixels: Uint8Array.from({ length: 400 }, (_, i) => Math.floor(i / 4)) };

  it('stacks the bands on white margins and moves the boxes read on them back to their rows', () => {
    // Act
    const stacked = stackBands(image, [
      { top: 0, bottom: 10 },
      { top: 40, bottom: 50 },
    ]);
    // Assess: band 1, margin, margin, band 2, margin (3 rows each: BAND_MARGIN of 100 rows).
    const margin = Math.round(100 * BAND_MARGIN);
    expect(stacked.image.height).toBe(10 + margin + margin + 10 + margin);
    const row = (r: number): number[] => Array.from(stacked.image.pixels.subarray(r * 4, r * 4 + 4));
    expect(row(0)).toEqual([0, 0, 0, 0]);
    expect(row(9)).toEqual([9, 9, 9, 9]);
    expect(row(10)).toEqual([255, 255, 255, 255]);
    expect(row(10 + 2 * margin)).toEqual([40, 40, 40, 40]);
    const word = (y0: number, y1: number) => ({ text: 'w', confidence: 90, bbox: { x0: 0, x1: 2, y0, y1 } });
    const back = stacked.unstack([
      [word(2, 8)],
      [word(10 + 2 * margin + 1, 10 + 2 * margin + 9), word(10 + 2 * margin + 5, 10 + 2 * margin + 12)],
    ]);
    expect(back.map((l) => l.map((w) => [w.bbox.y0, w.bbox.y1]))).toEqual([
      [[2, 8]],
      [
        [41, 49],
        [45, 52],
      ],
    ]);
  });
});
