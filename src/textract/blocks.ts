import type { OcrBox, OcrPage, OcrWord } from './ocr-document';
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
    | { readonly BoundingBox?: TextractBoundingBox | undefined; readonly Polygon?: readonly TextractPoint[] | undefined }
    | undefined;
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

interface RawWord {
  readonly id: string | undefined;
  readonly text: string;
  readonly confidence: number;
  /** Corners in Textract's normalised image coordinates; [0] is top-left in reading direction. */
  readonly corners: readonly Pt[];
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
    const list = byPage.get(page) ?? [];
    list.push(block);
    byPage.set(page, list);
  }
  return [...byPage.keys()]
    .sort((a, b) => a - b)
    .map((page) => convertPage(page, byPage.get(page) ?? [], pageSizes[page]));
}

function convertPage(page: number, blocks: readonly TextractBlock[], size: PageSize | undefined): OcrPage {
  const words: RawWord[] = [];
  for (const block of blocks) {
    if (block.BlockType !== 'WORD') continue;
    const text = (block.Text ?? '').trim();
    if (text === '') continue;
    const geometry = wordCorners(block);
    if (!geometry) continue;
    words.push({ id: block.Id, text, confidence: clampConfidence(block.Confidence), ...geometry });
  }

  const scale = pixelScale(words, size);
  const frame = uprightFrame(words, scale);
  const upright = words.map((w) => ({ word: w, box: frame.box(w.corners) }));

  const lines = groupIntoLines(blocks, upright);
  const ordered = orderByLayout(lines, (line) => line.box);
  const out: OcrWord[] = ordered.flatMap((line) =>
    line.members.map(({ word, box }) => ({ text: word.text, box, confidence: word.confidence })),
  );
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

function wordCorners(block: TextractBlock): { corners: Pt[]; directed: boolean } | undefined {
  const polygon = block.Geometry?.Polygon;
  if (polygon && polygon.length >= 4) {
    const corners = polygon.slice(0, 4).map((p) => ({ x: p.X ?? NaN, y: p.Y ?? NaN }));
    if (corners.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))) return { corners, directed: true };
  }
  const bb = block.Geometry?.BoundingBox;
  if (bb && [bb.Left, bb.Top, bb.Width, bb.Height].every((v) => v !== undefined && Number.isFinite(v))) {
    const left = bb.Left as number;
    const top = bb.Top as number;
    const right = left + (bb.Width as number);
    const bottom = top + (bb.Height as number);
    const corners = [
      { x: left, y: top },
      { x: right, y: top },
      { x: right, y: bottom },
      { x: left, y: bottom },
    ];
    return { corners, directed: false };
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
    const [p0, p1, , p3] = w.corners as [Pt, Pt, Pt, Pt];
    const ax = p1.x - p0.x;
    const ay = p1.y - p0.y;
    const bx = p3.x - p0.x;
    const by = p3.y - p0.y;
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
  const BIN = 5;
  const bins = new Array<number>(360 / BIN).fill(0);
  const samples: { angle: number; weight: number }[] = [];
  for (const { dx, dy } of vectors) {
    const weight = Math.hypot(dx, dy);
    if (!(weight > 0)) continue;
    const angle = ((Math.atan2(dy, dx) * 180) / Math.PI + 360) % 360;
    samples.push({ angle, weight });
    const bin = Math.floor(angle / BIN) % bins.length;
    bins[bin] = (bins[bin] ?? 0) + weight;
  }
  if (samples.length === 0) return 0;
  // Peak of the histogram smoothed over neighbouring bins (circular), then a weighted circular mean
  // of the samples near the peak: robust to a few vertical or upside-down words.
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < bins.length; i++) {
    const score =
      (bins[(i + bins.length - 1) % bins.length] ?? 0) + (bins[i] ?? 0) + (bins[(i + 1) % bins.length] ?? 0);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  const peak = best * BIN + BIN / 2;
  let sx = 0;
  let sy = 0;
  for (const { angle, weight } of samples) {
    const diff = ((angle - peak + 540) % 360) - 180;
    if (Math.abs(diff) > 15) continue;
    sx += weight * Math.cos((angle * Math.PI) / 180);
    sy += weight * Math.sin((angle * Math.PI) / 180);
  }
  return ((Math.atan2(sy, sx) * 180) / Math.PI + 360) % 360;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  box(corners: readonly Pt[]): OcrBox;
}

/**
 * The upright frame: the image rotated by minus the text angle, normalised over the rotated image's
 * bounding rectangle. Quarter turns are exact (cos/sin snapped to integers).
 */
function uprightFrame(words: readonly RawWord[], scale: Pt): Frame {
  const vectors = words
    .filter((w) => w.directed)
    .map((w) => {
      const [p0, p1] = w.corners as [Pt, Pt];
      return { dx: (p1.x - p0.x) * scale.x, dy: (p1.y - p0.y) * scale.y };
    });
  let angle = dominantTextAngle(vectors);
  const quarter = Math.round(angle / 90) * 90;
  if (Math.abs(angle - quarter) < SKEW_SNAP_DEGREES) angle = quarter % 360;
  const rad = (angle * Math.PI) / 180;
  const cos = angle % 90 === 0 ? Math.round(Math.cos(rad)) : Math.cos(rad);
  const sin = angle % 90 === 0 ? Math.round(Math.sin(rad)) : Math.sin(rad);
  // Rotate by -angle: the text direction (cos, sin) maps onto +x.
  const rotate = (p: Pt): Pt => {
    const x = p.x * scale.x;
    const y = p.y * scale.y;
    return { x: x * cos + y * sin, y: -x * sin + y * cos };
  };
  const imageCorners = [
    { x: 0, y: 0 },
    { x: 1, y: 0 },
    { x: 1, y: 1 },
    { x: 0, y: 1 },
  ].map(rotate);
  const minX = Math.min(...imageCorners.map((p) => p.x));
  const minY = Math.min(...imageCorners.map((p) => p.y));
  const width = Math.max(...imageCorners.map((p) => p.x)) - minX;
  const height = Math.max(...imageCorners.map((p) => p.y)) - minY;
  const norm = (v: number, lo: number, span: number): number =>
    Math.min(1000, Math.max(0, Math.round(((v - lo) / span) * 1000)));
  return {
    width,
    height,
    box(corners) {
      const pts = corners.map(rotate);
      const xs = pts.map((p) => p.x);
      const ys = pts.map((p) => p.y);
      return [
        norm(Math.min(...xs), minX, width),
        norm(Math.min(...ys), minY, height),
        norm(Math.max(...xs), minX, width),
        norm(Math.max(...ys), minY, height),
      ];
    },
  };
}

interface UprightWord {
  readonly word: RawWord;
  readonly box: OcrBox;
}
interface Line {
  readonly members: UprightWord[];
  readonly box: Box;
}

/** Words grouped by their LINE parent (in the LINE's child order); words without one stand alone. */
function groupIntoLines(blocks: readonly TextractBlock[], words: readonly UprightWord[]): Line[] {
  const byId = new Map<string, UprightWord>();
  for (const w of words) if (w.word.id !== undefined) byId.set(w.word.id, w);
  const placed = new Set<UprightWord>();
  const lines: Line[] = [];
  for (const block of blocks) {
    if (block.BlockType !== 'LINE') continue;
    const members: UprightWord[] = [];
    for (const rel of block.Relationships ?? []) {
      if (rel.Type !== 'CHILD') continue;
      for (const id of rel.Ids ?? []) {
        const w = byId.get(id);
        if (w && !placed.has(w)) {
          members.push(w);
          placed.add(w);
        }
      }
    }
    if (members.length > 0) lines.push({ members, box: unionBox(members) });
  }
  for (const w of words) if (!placed.has(w)) lines.push({ members: [w], box: w.box });
  return lines;
}

function unionBox(members: readonly UprightWord[]): Box {
  return [
    Math.min(...members.map((m) => m.box[0])),
    Math.min(...members.map((m) => m.box[1])),
    Math.max(...members.map((m) => m.box[2])),
    Math.max(...members.map((m) => m.box[3])),
  ];
}
