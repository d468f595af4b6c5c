/**
 * How tall a page's text is, measured on its pixels before any reading, so ocr.ts can read a page of small
 * text enlarged once instead of reading it at its own size, finding the text small, and reading it again.
 *
 * The page is split at its Otsu threshold (page-cleanup.ts), the dark pixels grouped into 8-connected
 * components (runs of dark pixels per row, joined to the runs they touch on the row above, union-find), and
 * the components shaped like characters kept: at least MIN_GLYPH_PX tall, at most a tenth of the page, no
 * wider than MAX_GLYPH_ASPECT times their height (a rule line or a table border is not a glyph) and inked at
 * least MIN_INK_SHARE of their box (a frame or a photo's outline is not either). Their median height is
 * the text's height. Tesseract's word boxes are taller than most glyphs (ascenders, descenders, accents);
 * WORD_BOX_PER_GLYPH turns the one into the other (calibrated on the first 40 SROIE receipts: the median word box
 * is 1.00-1.54 times the median glyph, median 1.15; the estimate costs about 55 ms a page).
 * Written by hand: the project's image library (Skia) has no connected components, and this is one pass.
 */
import type { GrayImage } from './page-cleanup';
import { otsuOf } from './page-cleanup';

const MIN_GLYPH_PX = 4;
const MAX_GLYPH_ASPECT = 3;
const MIN_INK_SHARE = 0.15;
/** Fewer character-shaped components than this: no estimate (a photo, an empty page). */
const MIN_GLYPHS = 20;
/** Median tesseract word-box height over median glyph height, on real receipts. */
export const WORD_BOX_PER_GLYPH = 1.15;

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  ink: number;
}

/**
 * The median height, in pixels of `image`, of a tesseract word box on this page as its glyphs predict it;
 * undefined when the page shows too few character-shaped components to say.
 */
export const estimateTextHeight = (image: GrayImage): number | undefined => {
  const { width, height, pixels } = image;
  const threshold = otsuOf(pixels);
  const parent: number[] = [];
  const boxes: Box[] = [];
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] ?? root;
    while (parent[i] !== root) {
      const next = parent[i] ?? root;
      parent[i] = root;
      i = next;
    }
    return root;
  };
  let previous: { start: number; end: number; id: number }[] = [];
  for (let y = 0; y < height; y++) {
    const row: { start: number; end: number; id: number }[] = [];
    const offset = y * width;
    let x = 0;
    let above = 0;
    while (x < width) {
      if ((pixels[offset + x] ?? 255) > threshold) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < width && (pixels[offset + x] ?? 255) <= threshold) x += 1;
      const end = x - 1;
      const id = boxes.length;
      parent.push(id);
      boxes.push({ x0: start, x1: end, y0: y, y1: y, ink: end - start + 1 });
      // 8-connected: a run above touching [start - 1, end + 1] is the same component.
      while (above < previous.length && (previous[above]?.end ?? 0) < start - 1) above += 1;
      for (let k = above; k < previous.length && (previous[k]?.start ?? width) <= end + 1; k++) {
        const a = find(previous[k]?.id ?? id);
        const b = find(id);
        if (a !== b) parent[b] = a;
      }
      row.push({ start, end, id });
    }
    previous = row;
  }
  const components = new Map<number, Box>();
  boxes.forEach((box, i) => {
    const root = find(i);
    const c = components.get(root);
    if (c === undefined) components.set(root, { ...box });
    else {
      c.x0 = Math.min(c.x0, box.x0);
      c.x1 = Math.max(c.x1, box.x1);
      c.y0 = Math.min(c.y0, box.y0);
      c.y1 = Math.max(c.y1, box.y1);
      c.ink += box.ink;
    }
  });
  const heights: number[] = [];
  for (const c of components.values()) {
    const h = c.y1 - c.y0 + 1;
    const w = c.x1 - c.x0 + 1;
    if (h < MIN_GLYPH_PX || h > height / 10 || w > MAX_GLYPH_ASPECT * h) continue;
    if (c.ink < MIN_INK_SHARE * w * h) continue;
    heights.push(h);
  }
  if (heights.length < MIN_GLYPHS) return undefined;
  heights.sort((a, b) => a - b);
  return (heights[Math.floor(heights.length / 2)] ?? 0) * WORD_BOX_PER_GLYPH;
};
