/**
 * Two readings of one page merged line by line, by confidence. Tesseract's page segmentation modes fail
 * in different places on receipts: mode 6 (one uniform block) reads the item table and the totals in
 * order but drops or garbles headings printed in a larger or different font (a shop name in a
 * condensed bold face, a dot-matrix logo line), which mode 3 (automatic layout analysis) reads well,
 * while mode 3 splits tables into columns and misreads more of the small print. Merging keeps each
 * line from the reading that is more confident about it.
 *
 * Written by hand: no OCR library merges two readings of the same page.
 *
 * For each LINE of the secondary reading, the primary WORDs whose centre lies inside the line's box are
 * the same text read the other way:
 * - none: the primary reading missed the line, which is added with its words;
 * - some, each lying at least MIN_WIDTH_INSIDE within the line's width: the line replaces them when its
 *   mean word confidence is at least theirs;
 * - some, one of them running out of the line: the readings disagree on what the line holds (mode 3 cut
 *   `TOTAL 30.19` after `30.`), and the primary reading is kept.
 * Primary LINEs left without words are dropped; the PAGE block stays the primary's. Blocks keep the
 * Textract order: PAGE, then LINEs in reading order (a replacing line where the words it replaces were,
 * an added line before the first line below it), then WORDs line by line.
 */
import type { TextractBlock } from './blocks';

type Box = TextractBlock['Geometry']['BoundingBox'];

const centreInside = (word: Box, line: Box): boolean => {
  const x = word.Left + word.Width / 2;
  const y = word.Top + word.Height / 2;
  return x >= line.Left && x <= line.Left + line.Width && y >= line.Top && y <= line.Top + line.Height;
};

/** Share of a word's width that a line's box must span for the line to stand for the word. */
const MIN_WIDTH_INSIDE = 0.75;

const mostlyInside = (word: Box, line: Box): boolean => {
  const inside = Math.min(word.Left + word.Width, line.Left + line.Width) - Math.max(word.Left, line.Left);
  return inside >= MIN_WIDTH_INSIDE * word.Width;
};

/** Mean confidence of the WORD blocks among `blocks` (0 without any); ocr.ts ranks whole readings by it too. */
export const meanConfidence = (blocks: readonly TextractBlock[]): number => {
  const words = blocks.filter((b) => b.BlockType === 'WORD');
  return words.reduce((sum, w) => sum + (w.Confidence ?? 0), 0) / Math.max(1, words.length);
};

const centreY = (block: TextractBlock): number => block.Geometry.BoundingBox.Top + block.Geometry.BoundingBox.Height / 2;

const childIds = (block: TextractBlock): readonly string[] => block.Relationships?.find((r) => r.Type === 'CHILD')?.Ids ?? [];

/** A primary line that lost some words to the secondary reading: its text and box are its remaining words'. */
const shrunkLine = (line: TextractBlock, kept: readonly TextractBlock[]): TextractBlock => {
  const boxes = kept.map((w) => w.Geometry.BoundingBox);
  const left = Math.min(...boxes.map((b) => b.Left));
  const top = Math.min(...boxes.map((b) => b.Top));
  const right = Math.max(...boxes.map((b) => b.Left + b.Width));
  const bottom = Math.max(...boxes.map((b) => b.Top + b.Height));
  return {
    ...line,
    Text: kept.map((w) => w.Text ?? '').join(' '),
    Confidence: meanConfidence(kept),
    Geometry: {
      BoundingBox: { Left: left, Top: top, Width: right - left, Height: bottom - top },
      Polygon: [
        { X: left, Y: top },
        { X: right, Y: top },
        { X: right, Y: bottom },
        { X: left, Y: bottom },
      ],
    },
    Relationships: [{ Type: 'CHILD', Ids: kept.map((w) => w.Id) }],
  };
};

export const mergeReadings = (primary: readonly TextractBlock[], secondary: readonly TextractBlock[]): TextractBlock[] => {
  const page = primary.find((b) => b.BlockType === 'PAGE');
  let lines = primary.filter((b) => b.BlockType === 'LINE');
  let words = primary.filter((b) => b.BlockType === 'WORD');
  const secondaryWords = new Map(secondary.filter((b) => b.BlockType === 'WORD').map((w) => [w.Id, w]));
  for (const line of secondary.filter((b) => b.BlockType === 'LINE')) {
    const lineWords = childIds(line).flatMap((id) => secondaryWords.get(id) ?? []);
    if (lineWords.length === 0) continue;
    const covered = words.filter((w) => centreInside(w.Geometry.BoundingBox, line.Geometry.BoundingBox));
    // A word running out of the line (`30.19` beside a line that ends at `30.`): the readings disagree on
    // what the line holds, and the first one keeps it.
    if (covered.some((w) => !mostlyInside(w.Geometry.BoundingBox, line.Geometry.BoundingBox))) continue;
    if (covered.length > 0 && meanConfidence(lineWords) < meanConfidence(covered)) continue;
    const removed = new Set(covered.map((w) => w.Id));
    words = [...words.filter((w) => !removed.has(w.Id)), ...lineWords];
    // In reading order, as Textract lists lines: where the words it replaces were, else before the first
    // line below it.
    const at =
      removed.size > 0
        ? lines.findIndex((l) => childIds(l).some((id) => removed.has(id)))
        : lines.findIndex((l) => centreY(l) > centreY(line));
    lines = [...lines.slice(0, at < 0 ? lines.length : at), line, ...lines.slice(at < 0 ? lines.length : at)].flatMap((l) => {
      if (l === line) return [l];
      const ids = childIds(l).filter((id) => !removed.has(id));
      if (ids.length === 0) return [];
      return ids.length === childIds(l).length
        ? [l]
        : [
            shrunkLine(
              l,
              ids.flatMap((id) => words.find((w) => w.Id === id) ?? []),
            ),
          ];
    });
  }
  const byId = new Map(words.map((w) => [w.Id, w]));
  const pageBlock: TextractBlock[] =
    page === undefined
      ? []
      : [{ ...page, ...(lines.length > 0 ? { Relationships: [{ Type: 'CHILD' as const, Ids: lines.map((l) => l.Id) }] } : {}) }];
  // Words in the order of their lines, as Textract lists them.
  return [...pageBlock, ...lines, ...lines.flatMap((l) => childIds(l).flatMap((id) => byId.get(id) ?? []))];
};
