/**
 * Reading part of a page again: bands of rows cut out of a rendering, stacked on white, read as one image,
 * and the reading's boxes moved back to where the rows lie on the page. ocr.ts reads the second reading this
 * way where only some rows call for it (reading-signs.ts): the heading band above the first line, and the
 * lines the first reading was unsure of, rather than the whole page.
 *
 * Written by hand: tesseract reads rectangles (SetRectangle), one at a time, and each call pays its layout
 * analysis; one stacked image is one call.
 */
import type { TextractBlock } from './blocks';
import { isUnsureLine } from './reading-signs';
import type { GrayImage } from './page-cleanup';
import type { PageReading } from './readers';

/** Rows `[top, bottom)` of a rendering, in its pixels. */
export interface RowBand {
  top: number;
  bottom: number;
}

/**
 * White rows after each band (and before a band that does not start at the top), as a share of the page
 * height: cut right under a heading, tesseract's layout analysis misreads its last line (`POPULAR EBOOK` at
 * 63% for `POPULAR BOOK` at 95% on a SROIE receipt); with a white margin below it reads it as on the whole
 * page. Cutting lower instead, into the first line read, costs more and reads no better (bench:ocr, first
 * 60 SROIE receipts).
 */
export const BAND_MARGIN = 0.03;

/** How far a band reaches beyond its unsure line, above and below, as a share of the line's height. */
const LINE_REACH = 0.5;

/**
 * Above this share of the page's rows, the bands are the page: reading them costs about what the page does.
 */
export const MOST_OF_THE_PAGE = 0.6;

/** Bands sorted, the overlapping and touching ones joined. */
const joined = (bands: readonly RowBand[]): RowBand[] => {
  const out: RowBand[] = [];
  for (const band of [...bands].sort((a, b) => a.top - b.top)) {
    const last = out.at(-1);
    if (last !== undefined && band.top <= last.bottom) last.bottom = Math.max(last.bottom, band.bottom);
    else out.push({ ...band });
  }
  return out;
};

/**
 * The rows to read again on a page of `height` rows, from its first reading (blocks in page ratios, the page
 * as read, not turned): the heading band (rows above the first line) when `heading`, and with `unsureLines`
 * each unsure line (reading-signs.ts `isUnsureLine`), reaching LINE_REACH of its height beyond it but never into a line
 * read confidently (its pixels cut in half would read as noise).
 */
export const bandsToReread = (
  blocks: readonly TextractBlock[],
  height: number,
  options: { heading: boolean; unsureLines: boolean },
): RowBand[] => {
  const lines = blocks
    .filter((b) => b.BlockType === 'LINE')
    .map((l) => ({
      top: l.Geometry.BoundingBox.Top * height,
      bottom: (l.Geometry.BoundingBox.Top + l.Geometry.BoundingBox.Height) * height,
      unsure: isUnsureLine(l),
    }));
  const sure = lines.filter((l) => !l.unsure);
  const bands: RowBand[] = [];
  if (options.heading) {
    const firstTop = Math.min(height, ...lines.map((l) => l.top));
    if (firstTop >= 1) bands.push({ top: 0, bottom: Math.floor(firstTop) });
  }
  if (options.unsureLines) {
    for (const line of lines.filter((l) => l.unsure)) {
      const reach = (line.bottom - line.top) * LINE_REACH;
      // Up to the nearest confident line above and below, not into it.
      const above = Math.max(0, ...sure.filter((s) => s.bottom <= line.top).map((s) => s.bottom));
      const below = Math.min(height, ...sure.filter((s) => s.top >= line.bottom).map((s) => s.top));
      bands.push({
        top: Math.max(0, Math.floor(Math.max(above, line.top - reach))),
        bottom: Math.min(height, Math.ceil(Math.min(below, line.bottom + reach))),
      });
    }
  }
  return joined(bands.filter((b) => b.bottom > b.top));
};

/** Rows the bands hold, as a share of the page's. */
export const bandShare = (bands: readonly RowBand[], height: number): number =>
  bands.reduce((sum, b) => sum + b.bottom - b.top, 0) / Math.max(1, height);

export interface StackedBands {
  image: GrayImage;
  /** The reading of `image` with its boxes in the rows of the rendering the bands came from. */
  unstack(reading: PageReading): PageReading;
}

/**
 * The bands of `image` one below the other, each followed by BAND_MARGIN of white rows (and preceded by as
 * many when it does not start at the top): the pixels tesseract is given, and the way back.
 */
export const stackBands = (image: GrayImage, bands: readonly RowBand[]): StackedBands => {
  const margin = Math.round(image.height * BAND_MARGIN);
  // Where each band starts in the stack, and the row of the rendering it starts at.
  const placed: { at: number; band: RowBand }[] = [];
  let rows = 0;
  for (const band of bands) {
    if (band.top > 0) rows += margin;
    placed.push({ at: rows, band });
    rows += band.bottom - band.top + margin;
  }
  const pixels = new Uint8Array(image.width * rows).fill(255);
  for (const { at, band } of placed) {
    pixels.set(image.pixels.subarray(image.width * band.top, image.width * band.bottom), image.width * at);
  }
  // A word belongs to the band its centre lies in (or the nearest, for a box running into the white).
  const offsetAt = (y: number): number => {
    let best = placed[0];
    let distance = Infinity;
    for (const p of placed) {
      const end = p.at + p.band.bottom - p.band.top;
      const d = y < p.at ? p.at - y : y >= end ? y - end + 1 : 0;
      if (d < distance) {
        distance = d;
        best = p;
      }
    }
    return best === undefined ? 0 : best.band.top - best.at;
  };
  return {
    image: { width: image.width, height: rows, pixels },
    unstack: (reading) =>
      reading.map((line) =>
        line.map((word) => {
          const offset = offsetAt((word.bbox.y0 + word.bbox.y1) / 2);
          return { ...word, bbox: { ...word.bbox, y0: word.bbox.y0 + offset, y1: word.bbox.y1 + offset } };
        }),
      ),
  };
};
