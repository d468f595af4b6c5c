/**
 * White text on a dark band (an invoice's table header, a receipt's "TOTAL" bar, a title strip) turned into
 * dark text on white before tesseract reads the page. Tesseract can try every unsure line again inverted
 * (`tessedit_do_invert`, on by default), which costs 6-16% of the time of every page for the few
 * that have such a band (bench/README.md, "OCR"); finding the bands once on the pixels is a few
 * milliseconds, so the readers turn tesseract's own attempt off (readers.ts) and read the bands upright.
 *
 * A band: the page is cut into TILE_PX tiles and each tile's share of dark pixels (below the page's Otsu
 * threshold) counted; tiles mostly dark are grouped (4-connected); a group whose box is wider than tall,
 * at least MIN_BAND_HEIGHT_PX high and dark over DARK_BAND_SHARE of its area, but not all of it (SOLID_SHARE:
 * something light, the text, is on it), is a band. Text, even bold and large, covers far less of its own box
 * than that, and a letter's thick stroke or a solid bar has nothing light on it; a dark scanner border
 * reaching round the page covers little of its box. A band also has a dark margin round its text (FRAME_SHARE),
 * which a heavy bold word, dark inside its box too, does not: its box's edges cross its letters. The band's edges are then
 * set to the pixel, where the rows and columns stop being mostly dark, and its pixels inverted.
 *
 * Written by hand on plain pixel arrays, like page-cleanup.ts: the image library has no such operation.
 */
import { otsuOf, type GrayImage } from './page-cleanup';

const TILE_PX = 8;
/** A tile this dark belongs to a band (white letters take the rest). */
const DARK_TILE_SHARE = 0.5;
/** A band's box is at least this dark: white text on it still leaves most of it dark. */
export const DARK_BAND_SHARE = 0.6;
/** ... and at most this dark: a band with nothing light on it holds no text (a solid bar, a letter's stroke). */
const SOLID_SHARE = 0.95;
export const MIN_BAND_HEIGHT_PX = 12;
/** A band is at least this many times as wide as it is tall (a dark logo or photo is left alone). */
const MIN_BAND_ASPECT = 2;

export interface Band {
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

const darkShare = (image: GrayImage, threshold: number, band: Band): number => {
  let dark = 0;
  for (let y = band.y0; y < band.y1; y++) {
    const row = y * image.width;
    for (let x = band.x0; x < band.x1; x++) if ((image.pixels[row + x] ?? 255) <= threshold) dark += 1;
  }
  return dark / Math.max(1, (band.x1 - band.x0) * (band.y1 - band.y0));
};

/** The band's edges moved to the first and last rows and columns (within it, one tile around) that are mostly dark. */
const refine = (image: GrayImage, threshold: number, rough: Band): Band => {
  const x0 = Math.max(0, rough.x0 - TILE_PX);
  const x1 = Math.min(image.width, rough.x1 + TILE_PX);
  const y0 = Math.max(0, rough.y0 - TILE_PX);
  const y1 = Math.min(image.height, rough.y1 + TILE_PX);
  const rowDark = (y: number): boolean => darkShare(image, threshold, { x0: rough.x0, x1: rough.x1, y0: y, y1: y + 1 }) >= 0.5;
  const colDark = (x: number): boolean => darkShare(image, threshold, { x0: x, x1: x + 1, y0: rough.y0, y1: rough.y1 }) >= 0.5;
  let top = y0;
  while (top < y1 && !rowDark(top)) top += 1;
  let bottom = y1;
  while (bottom > top && !rowDark(bottom - 1)) bottom -= 1;
  let left = x0;
  while (left < x1 && !colDark(left)) left += 1;
  let right = x1;
  while (right > left && !colDark(right - 1)) right -= 1;
  return { x0: left, y0: top, x1: right, y1: bottom };
};

/** Share of a band's edge rows and columns (one pixel in) that must be dark: the band's margin round its text. */
const FRAME_SHARE = 0.9;

/**
 * Whether the band has a dark margin all round: its second and second-to-last rows and columns are almost
 * all dark. A heavy bold or smudged word is as dark as a band inside its box but its edges cross its letters.
 */
const framed = (image: GrayImage, threshold: number, { x0, y0, x1, y1 }: Band): boolean =>
  [
    { x0, x1, y0: y0 + 1, y1: y0 + 2 },
    { x0, x1, y0: y1 - 2, y1: y1 - 1 },
    { x0: x0 + 1, x1: x0 + 2, y0, y1 },
    { x0: x1 - 2, x1: x1 - 1, y0, y1 },
  ].every((edge) => darkShare(image, threshold, edge) >= FRAME_SHARE);

/** The dark bands of a page (see above), in pixels of `image`. */
export const findDarkBands = (image: GrayImage): Band[] => {
  const { width, height, pixels } = image;
  const threshold = otsuOf(pixels);
  const cols = Math.ceil(width / TILE_PX);
  const rows = Math.ceil(height / TILE_PX);
  const dark = new Uint32Array(cols * rows);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const tileRow = Math.floor(y / TILE_PX) * cols;
    for (let x = 0; x < width; x++) {
      if ((pixels[row + x] ?? 255) <= threshold) {
        const t = tileRow + Math.floor(x / TILE_PX);
        dark[t] = (dark[t] ?? 0) + 1;
      }
    }
  }
  const tileArea = (t: number): number => {
    const tx = t % cols;
    const ty = Math.floor(t / cols);
    return (Math.min(width, (tx + 1) * TILE_PX) - tx * TILE_PX) * (Math.min(height, (ty + 1) * TILE_PX) - ty * TILE_PX);
  };
  const isDark = (t: number): boolean => (dark[t] ?? 0) >= DARK_TILE_SHARE * tileArea(t);
  const seen = new Uint8Array(cols * rows);
  const bands: Band[] = [];
  for (let start = 0; start < cols * rows; start++) {
    if (seen[start] === 1 || !isDark(start)) continue;
    // Flood the group of dark tiles, keeping its box in tiles.
    let [tx0, ty0, tx1, ty1] = [cols, rows, -1, -1];
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const t = stack.pop() ?? 0;
      const tx = t % cols;
      const ty = Math.floor(t / cols);
      tx0 = Math.min(tx0, tx);
      tx1 = Math.max(tx1, tx);
      ty0 = Math.min(ty0, ty);
      ty1 = Math.max(ty1, ty);
      const neighbours = [tx > 0 ? t - 1 : -1, tx < cols - 1 ? t + 1 : -1, ty > 0 ? t - cols : -1, ty < rows - 1 ? t + cols : -1];
      for (const n of neighbours) {
        if (n < 0 || seen[n] === 1 || !isDark(n)) continue;
        seen[n] = 1;
        stack.push(n);
      }
    }
    const rough = {
      x0: tx0 * TILE_PX,
      y0: ty0 * TILE_PX,
      x1: Math.min(width, (tx1 + 1) * TILE_PX),
      y1: Math.min(height, (ty1 + 1) * TILE_PX),
    };
    if (rough.y1 - rough.y0 < MIN_BAND_HEIGHT_PX || rough.x1 - rough.x0 < MIN_BAND_ASPECT * (rough.y1 - rough.y0)) continue;
    if (darkShare(image, threshold, rough) < DARK_BAND_SHARE) continue;
    const band = refine(image, threshold, rough);
    const share = darkShare(image, threshold, band);
    if (band.y1 - band.y0 < MIN_BAND_HEIGHT_PX || share < DARK_BAND_SHARE || share > SOLID_SHARE) continue;
    if (framed(image, threshold, band)) bands.push(band);
  }
  return bands;
};

/** The page with its dark bands inverted (the same image when it has none). */
export const invertDarkBands = (image: GrayImage): GrayImage => {
  const bands = findDarkBands(image);
  if (bands.length === 0) return image;
  const pixels = Uint8Array.from(image.pixels);
  for (const band of bands) {
    for (let y = band.y0; y < band.y1; y++) {
      const row = y * image.width;
      for (let x = band.x0; x < band.x1; x++) pixels[row + x] = 255 - (pixels[row + x] ?? 0);
    }
  }
  return { width: image.width, height: image.height, pixels };
};
