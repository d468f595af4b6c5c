/**
 * Reading order by recursive XY-cut over line boxes (0..1000 upright coordinates):
 * cut into horizontal bands at clear vertical gaps, else into columns at clear horizontal gaps
 * when every column is wide enough to be a text column; otherwise read row by row.
 *
 * The column-width rule is what keeps receipts row-wise: a narrow price column next to item names
 * is a table, not a text column, and reading all names before all prices would be wrong.
 */
export type Box = readonly [x0: number, y0: number, x1: number, y1: number];

export interface ReadingOrderOptions {
  /** Minimum width (0..1000 units) of every part of a column split. */
  readonly minColumnWidth?: number;
}

const DEFAULT_MIN_COLUMN_WIDTH = 200;

export function orderByLayout<T>(items: readonly T[], boxOf: (item: T) => Box, options: ReadingOrderOptions = {}): T[] {
  if (items.length <= 1) return [...items];
  // Boxes are read once; the cut works on item indexes (sorts are stable, so the order is the same).
  const boxes = items.map(boxOf);
  const heights = boxes.map((box) => box[3] - box[1]).sort((a, b) => a - b);
  const lineHeight = Math.max(1, heights[Math.floor(heights.length / 2)] ?? 1);
  const ctx: Ctx = {
    boxes,
    // Lines of one paragraph touch or nearly so; a gap of half a line separates blocks.
    yGap: Math.max(2, lineHeight * 0.5),
    // A gutter is clearly wider than a space between words.
    xGap: Math.max(15, lineHeight * 1.5),
    minColumnWidth: options.minColumnWidth ?? DEFAULT_MIN_COLUMN_WIDTH,
  };
  const order: number[] = [];
  xyCut(
    boxes.map((_, index) => index),
    ctx,
    order,
  );
  return order.map((index) => items[index] as T);
}

interface Ctx {
  readonly boxes: readonly Box[];
  readonly yGap: number;
  readonly xGap: number;
  readonly minColumnWidth: number;
}

/** Appends `items` (indexes into ctx.boxes) to `out` in reading order. */
function xyCut(items: number[], ctx: Ctx, out: number[]): void {
  if (items.length <= 1) {
    out.push(...items);
    return;
  }
  const bands = splitAtGaps(items, ctx.boxes, 1, ctx.yGap);
  if (bands.length > 1) {
    for (const band of bands) xyCut(band, ctx, out);
    return;
  }
  const columns = splitAtGaps(items, ctx.boxes, 0, ctx.xGap);
  if (columns.length > 1 && columns.every((col) => extent(col, ctx.boxes, 0) >= ctx.minColumnWidth)) {
    for (const column of columns) xyCut(column, ctx, out);
    return;
  }
  rowOrder(items, ctx.boxes, out);
}

/** Groups items along one axis (0 = x, 1 = y) where the projection has a gap >= minGap. */
function splitAtGaps(items: readonly number[], boxes: readonly Box[], axis: 0 | 1, minGap: number): number[][] {
  const sorted = [...items].sort((a, b) => (boxes[a] as Box)[axis] - (boxes[b] as Box)[axis]);
  const groups: number[][] = [];
  let current: number[] = [];
  let end = -Infinity;
  for (const item of sorted) {
    const box = boxes[item] as Box;
    if (current.length > 0 && box[axis] - end >= minGap) {
      groups.push(current);
      current = [];
    }
    current.push(item);
    end = Math.max(end, box[axis + 2] as number);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function extent(items: readonly number[], boxes: readonly Box[], axis: 0 | 1): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const item of items) {
    const box = boxes[item] as Box;
    lo = Math.min(lo, box[axis]);
    hi = Math.max(hi, box[axis + 2] as number);
  }
  return hi - lo;
}

/** Rows of vertically overlapping items, top to bottom; each row left to right. */
function rowOrder(items: readonly number[], boxes: readonly Box[], out: number[]): void {
  const sorted = [...items].sort((a, b) => {
    const boxA = boxes[a] as Box;
    const boxB = boxes[b] as Box;
    return centerY(boxA) - centerY(boxB) || boxA[0] - boxB[0];
  });
  const rows: { y0: number; y1: number; items: number[] }[] = [];
  for (const item of sorted) {
    const [, y0, , y1] = boxes[item] as Box;
    const row = rows[rows.length - 1];
    const overlap = row ? Math.min(row.y1, y1) - Math.max(row.y0, y0) : -1;
    if (row && overlap >= 0.5 * Math.min(row.y1 - row.y0, y1 - y0)) {
      row.items.push(item);
      // Keep the row's band anchored to its first item so a slow drift cannot chain rows together.
    } else {
      rows.push({ y0, y1, items: [item] });
    }
  }
  for (const row of rows) out.push(...row.items.sort((a, b) => (boxes[a] as Box)[0] - (boxes[b] as Box)[0]));
}

function centerY(box: Box): number {
  return (box[1] + box[3]) / 2;
}
