import type { OcrBox, OcrPage, OcrWord } from '../contracts/ocr-document';
import { orderByLayout, type Box } from './reading-order';

/**
 * Structural subset of a Textract `Block` (the SDK's `Block` is assignable to it, and so is a Block parsed
 * from a JSON response, whose `BlockType` is a plain string).
 */
export interface TextractPoint {
  readonly X?: number | undefined;
  readonly Y?: number | undefined;
}
export interface TextractBoundingBox {
  readonly Width?: number | undefined;
  readonly Height?: number | undefined;
  readonly Left?: number | undefined;
  readonly Top?: number | undefined;
}
export interface TextractBlock {
  readonly BlockType?: string | undefined;
  readonly Id?: string | undefined;
  readonly Text?: string | undefined;
  readonly Confidence?: number | undefined;
  readonly Page?: number | undefined;
  readonly Geometry?:
    { readonly BoundingBox?: TextractBoundingBox | undefined; readonly Polygon?: readonly TextractPoint[] | undefined } | undefined;
  readonly Relationships?: readonly { readonly Type?: string | undefined; readonly Ids?: readonly string[] | undefined }[] | undefined;
}

/** Pixel size of the image Textract saw (before any rotation), by page number (1-based). */
export interface PageSize {
  readonly width: number;
  readonly height: number;
}
export type PageSizes = Readonly<Record<number, PageSize>>;

interface Pt {
  readonly x: number;
  readonly y: number;
}

/**
 * Corners in Textract's normalised image coordinates, flat: [x0, y0, x1, y1, x2, y2, x3, y3]; corner 0 is
 * top-left in reading direction. Flat numbers, not point objects: a page converts thousands of them.
 */
type Corners = readonly [number, number, number, number, number, number, number, number];

interface RawWord {
  readonly id: string | undefined;
  readonly text: string;
  readonly confidence: number;
  readonly corners: Corners;
  /** True when the corners came from a Polygon (so they carry the text direction). */
  readonly directed: boolean;
}

/** Residual skew below this (degrees) is treated as noise, not deskewed. */
const SKEW_SNAP_DEGREES = 0.5;

/**
 * Converts Textract blocks into contract-2 pages: one per page number (a block without `Page` is on page 1),
 * WORD blocks only, boxes in the upright frame as integers 0..1000, words in reading order.
 */
export function blocksToPages(blocks: readonly TextractBlock[], pageSizes: PageSizes = {}): OcrPage[] {
  const byPage = new Map<number, TextractBlock[]>();
  for (const block of blocks) {
    const type = block.BlockType;
    if (type !== 'WORD' && type !== 'LINE' && type !== 'PAGE') continue;
    const page = block.Page ?? 1;
    const list = byPage.get(page);
    if (list === undefined) byPage.set(page, [block]);
    else list.push(block);
  }
  return [...byPage.keys()].sort((a, b) => a - b).map((page) => convertPage(page, byPage.get(page) ?? [], pageSizes[page]));
}

function convertPage(page: number, blocks: readonly TextractBlock[], size: PageSize | undefined): OcrPage {
  const words: RawWord[] = [];
  for (const block of blocks) {
    if (block.BlockType !== 'WORD') continue;
    const text = (block.Text ?? '').trim();
    if (text === '') continue;
    const word = rawWord(block, text);
    if (word !== undefined) words.push(word);
  }

  const scale = pixelScale(words, size);
  const frame = uprightFrame(words, scale);
  const boxes = words.map((w) => frame.box(w.corners));

  const lines = groupIntoLines(blocks, words, boxes);
  const ordered = orderByLayout(lines, (line) => line.box);
  const out: OcrWord[] = [];
  for (const line of ordered) {
    for (const index of line.members) {
      const word = words[index] as RawWord;
      out.push({ text: word.text, box: boxes[index] as OcrBox, confidence: word.confidence });
    }
  }
  return {
    page,
    width: size ? Math.max(1, Math.round(frame.width)) : 1000,
    height: size ? Math.max(1, Math.round(frame.height)) : 1000,
    words: out,
  };
}

function clampConfidence(value: number | undefined): number {
  // Textract always sends Confidence on WORD blocks; a missing one is recorded as 0 (unknown), not 100.
  if (value === undefined || !Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, value));
}

/** A WORD block's geometry: its Polygon when it has four finite corners, else its BoundingBox. */
function rawWord(block: TextractBlock, text: string): RawWord | undefined {
  const confidence = clampConfidence(block.Confidence);
  const polygon = block.Geometry?.Polygon;
  if (polygon && polygon.length >= 4) {
    const [a, b, c, d] = polygon as readonly [TextractPoint, TextractPoint, TextractPoint, TextractPoint];
    const corners: Corners = [a.X ?? NaN, a.Y ?? NaN, b.X ?? NaN, b.Y ?? NaN, c.X ?? NaN, c.Y ?? NaN, d.X ?? NaN, d.Y ?? NaN];
    if (corners.every(Number.isFinite)) return { id: block.Id, text, confidence, corners, directed: true };
  }
  const bb = block.Geometry?.BoundingBox;
  if (bb) {
    const { Left: left, Top: top, Width: width, Height: height } = bb;
    if (
      left !== undefined &&
      top !== undefined &&
      width !== undefined &&
      height !== undefined &&
      Number.isFinite(left) &&
      Number.isFinite(top) &&
      Number.isFinite(width) &&
      Number.isFinite(height)
    ) {
      const right = left + width;
      const bottom = top + height;
      return { id: block.Id, text, confidence, corners: [left, top, right, top, right, bottom, left, bottom], directed: false };
    }
  }
  return undefined;
}

/**
 * Factors that turn normalised coordinates into (proportional) pixel coordinates. Rotation needs true
 * proportions: with the page size unknown, the aspect ratio is estimated from skewed word rectangles
 * (their sides are perpendicular in pixel space only at the right ratio); quarter turns need no ratio.
 */
function pixelScale(words: readonly RawWord[], size: PageSize | undefined): Pt {
  if (size && size.width > 0 && size.height > 0) return { x: size.width, y: size.height };
  const ratios: number[] = [];
  for (const w of words) {
    if (!w.directed) continue;
    const c = w.corners;
    const ax = c[2] - c[0];
    const ay = c[3] - c[1];
    const bx = c[6] - c[0];
    const by = c[7] - c[1];
    // Only well-conditioned words: both sides clearly off the axes (roughly > 3 degrees of skew).
    if (Math.abs(ay) < 0.05 * Math.abs(ax) && Math.abs(bx) < 0.05 * Math.abs(by)) continue;
    if (Math.abs(ax) < 0.05 * Math.abs(ay) && Math.abs(by) < 0.05 * Math.abs(bx)) continue;
    const r2 = -(ax * bx) / (ay * by);
    if (Number.isFinite(r2) && r2 > 0) ratios.push(Math.sqrt(r2));
  }
  if (ratios.length < 3) return { x: 1, y: 1 };
  ratios.sort((a, b) => a - b);
  return { x: 1, y: ratios[Math.floor(ratios.length / 2)] ?? 1 };
}

/** Dominant text direction in degrees (pixel space, y down; 0 = upright, 90 = text runs downwards). */
export function dominantTextAngle(vectors: readonly { dx: number; dy: number }[]): number {
  // dominantAngle reuses the arrays as scratch space: fresh copies, the caller's vectors stay untouched.
  const dxs = new Float64Array(vectors.length);
  const dys = new Float64Array(vectors.length);
  vectors.forEach(({ dx, dy }, i) => {
    dxs[i] = dx;
    dys[i] = dy;
  });
  return dominantAngle(dxs, dys);
}

/** dominantTextAngle over vectors given as two parallel arrays (no object per word). */
function dominantAngle(dxs: Float64Array, dys: Float64Array): number {
  const BIN = 5;
  const bins = new Float64Array(360 / BIN);
  const angles = new Float64Array(dxs.length);
  let count = 0;
  for (let i = 0; i < dxs.length; i++) {
    const dx = dxs[i] as number;
    const dy = dys[i] as number;
    const weight = Math.sqrt(dx * dx + dy * dy);
    if (!(weight > 0)) continue;
    const angle = ((Math.atan2(dy, dx) * 180) / Math.PI + 360) % 360;
    // Kept for the mean below: the unit vector is (dx, dy) / weight, no cos/sin of the angle needed.
    dxs[count] = dx;
    dys[count] = dy;
    angles[count] = angle;
    count += 1;
    const bin = Math.floor(angle / BIN) % bins.length;
    bins[bin] = (bins[bin] ?? 0) + weight;
  }
  if (count === 0) return 0;
  // Peak of the histogram smoothed over neighbouring bins (circular), then a weighted circular mean
  // of the samples near the peak: robust to a few vertical or upside-down words.
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < bins.length; i++) {
    const score = (bins[(i + bins.length - 1) % bins.length] ?? 0) + (bins[i] ?? 0) + (bins[(i + 1) % bins.length] ?? 0);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  const peak = best * BIN + BIN / 2;
  // Weighted sum of unit vectors (weight x (dx, dy) / weight): the vectors themselves.
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < count; i++) {
    const diff = (((angles[i] as number) - peak + 540) % 360) - 180;
    if (Math.abs(diff) > 15) continue;
    sx += dxs[i] as number;
    sy += dys[i] as number;
  }
  return ((Math.atan2(sy, sx) * 180) / Math.PI + 360) % 360;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  box(corners: Corners): OcrBox;
}

/**
 * The upright frame: the image rotated by minus the text angle, normalised over the rotated image's
 * bounding rectangle. Quarter turns are exact (cos/sin snapped to integers).
 */
function uprightFrame(words: readonly RawWord[], scale: Pt): Frame {
  let directed = 0;
  for (const w of words) if (w.directed) directed += 1;
  const dxs = new Float64Array(directed);
  const dys = new Float64Array(directed);
  let n = 0;
  for (const w of words) {
    if (!w.directed) continue;
    const c = w.corners;
    dxs[n] = (c[2] - c[0]) * scale.x;
    dys[n] = (c[3] - c[1]) * scale.y;
    n += 1;
  }
  let angle = dominantAngle(dxs, dys);
  const quarter = Math.round(angle / 90) * 90;
  if (Math.abs(angle - quarter) < SKEW_SNAP_DEGREES) angle = quarter % 360;
  const rad = (angle * Math.PI) / 180;
  const cos = angle % 90 === 0 ? Math.round(Math.cos(rad)) : Math.cos(rad);
  const sin = angle % 90 === 0 ? Math.round(Math.sin(rad)) : Math.sin(rad);
  const sx = scale.x;
  const sy = scale.y;
  // Rotate by -angle: the text direction (cos, sin) maps onto +x. Image corners (0,0), (1,0), (1,1), (0,1):
  const imageXs = [0, sx * cos, sx * cos + sy * sin, sy * sin];
  const imageYs = [0, -sx * sin, -sx * sin + sy * cos, sy * cos];
  const minX = Math.min(...imageXs);
  const minY = Math.min(...imageYs);
  const width = Math.max(...imageXs) - minX;
  const height = Math.max(...imageYs) - minY;
  const norm = (v: number, lo: number, span: number): number => Math.min(1000, Math.max(0, Math.round(((v - lo) / span) * 1000)));
  return {
    width,
    height,
    box(c) {
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      for (let i = 0; i < 8; i += 2) {
        const x = (c[i] as number) * sx;
        const y = (c[i + 1] as number) * sy;
        const rx = x * cos + y * sin;
        const ry = -x * sin + y * cos;
        if (rx < x0) x0 = rx;
        if (rx > x1) x1 = rx;
        if (ry < y0) y0 = ry;
        if (ry > y1) y1 = ry;
      }
      return [norm(x0, minX, width), norm(y0, minY, height), norm(x1, minX, width), norm(y1, minY, height)];
    },
  };
}

interface Line {
  /** Indexes into the page's words, in the LINE's child order. */
  readonly members: number[];
  readonly box: Box;
}

/** Words grouped by their LINE parent (in the LINE's child order); words without one stand alone. */
function groupIntoLines(blocks: readonly TextractBlock[], words: readonly RawWord[], boxes: readonly OcrBox[]): Line[] {
  const byId = new Map<string, number>();
  words.forEach((w, index) => {
    if (w.id !== undefined) byId.set(w.id, index);
  });
  const placed = new Uint8Array(words.length);
  const lines: Line[] = [];
  for (const block of blocks) {
    if (block.BlockType !== 'LINE') continue;
    const members: number[] = [];
    for (const rel of block.Relationships ?? []) {
      if (rel.Type !== 'CHILD') continue;
      for (const id of rel.Ids ?? []) {
        const index = byId.get(id);
        if (index !== undefined && placed[index] === 0) {
          members.push(index);
          placed[index] = 1;
        }
      }
    }
    if (members.length > 0) lines.push({ members, box: unionBox(members, boxes) });
  }
  for (let index = 0; index < words.length; index++) {
    if (placed[index] === 0) lines.push({ members: [index], box: boxes[index] as OcrBox });
  }
  return lines;
}

function unionBox(members: readonly number[], boxes: readonly OcrBox[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const index of members) {
    const box = boxes[index] as OcrBox;
    x0 = Math.min(x0, box[0]);
    y0 = Math.min(y0, box[1]);
    x1 = Math.max(x1, box[2]);
    y1 = Math.max(y1, box[3]);
  }
  return [x0, y0, x1, y1];
}
