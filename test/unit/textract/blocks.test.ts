import { describe, expect, it } from 'vitest';
import {
  blocksToOcrDocument,
  blocksToPages,
  dominantTextAngle,
  ocrDocumentSchema,
  type OcrWord,
  type TextractBlock,
} from '../../../src/textract/index';
import { loadBlocks } from './fixtures';

function wordBlock(
  id: string,
  text: string,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  extra: Partial<TextractBlock> = {},
): TextractBlock {
  return {
    BlockType: 'WORD',
    Id: id,
    Text: text,
    Confidence: 90,
    Geometry: {
      Polygon: [
        { X: x0, Y: y0 },
        { X: x1, Y: y0 },
        { X: x1, Y: y1 },
        { X: x0, Y: y1 },
      ],
    },
    ...extra,
  };
}

/** Words whose text occurs once in each list, paired. */
function pairUnique(a: readonly OcrWord[], b: readonly OcrWord[]): [OcrWord, OcrWord][] {
  const index = (ws: readonly OcrWord[]) => {
    const m = new Map<string, OcrWord[]>();
    for (const w of ws) m.set(w.text, [...(m.get(w.text) ?? []), w]);
    return m;
  };
  const ia = index(a);
  const ib = index(b);
  const pairs: [OcrWord, OcrWord][] = [];
  for (const [text, xs] of ia) {
    const ys = ib.get(text);
    if (xs.length === 1 && ys?.length === 1) pairs.push([xs[0] as OcrWord, ys[0] as OcrWord]);
  }
  return pairs;
}

/** Least-squares fit of b = k*a + c on one axis of the box centres; returns slope and residuals. */
function fitAxis(pairs: readonly [OcrWord, OcrWord][], axis: 0 | 1): { slope: number; residuals: number[] } {
  const centre = (w: OcrWord) => (w.box[axis] + (w.box[axis + 2] as number)) / 2;
  const xs = pairs.map(([r]) => centre(r));
  const ys = pairs.map(([, s]) => centre(s));
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return { slope, residuals: xs.map((x, i) => Math.abs(slope * x + intercept - (ys[i] as number))) };
}

const texts = (words: readonly OcrWord[]) => words.map((w) => w.text);

describe('blocksToPages on real Textract responses', () => {
  it('keeps every non-empty WORD of an upright page with its confidence and an integer 0..1000 box', () => {
    // Prepare
    const blocks = loadBlocks('gib');
    const wordBlocks = blocks.filter((b) => b.BlockType === 'WORD' && (b.Text ?? '').trim() !== '');

    // Act
    const pages = blocksToPages(blocks);

    // Assess
    expect(pages).toHaveLength(1);
    const page = pages[0]!;
    expect(page).toMatchObject({ page: 1, width: 1000, height: 1000 });
    expect([...texts(page.words)].sort()).toEqual(wordBlocks.map((b) => b.Text!.trim()).sort());
    expect(page.words.map((w) => w.confidence).sort()).toEqual(wordBlocks.map((b) => b.Confidence).sort());
    const date = page.words.find((w) => w.text === 'Date:')!;
    // Polygon (0.7542, 0.0333)-(0.7966, 0.0442) in the response.
    expect(date.box).toEqual([754, 33, 797, 44]);
    expect(ocrDocumentSchema.safeParse(blocksToOcrDocument(blocks)).success).toBe(true);
  });

  it('turns a page scanned upside down back upright: boxes within 3 units of the upright scan', () => {
    // Prepare
    const upright = blocksToPages(loadBlocks('gib'))[0]!.words;

    // Act
    const rotated = blocksToPages(loadBlocks('gib__180_degrees'))[0]!.words;

    // Assess
    const pairs = pairUnique(upright, rotated);
    expect(pairs.length).toBeGreaterThan(50);
    for (const [a, b] of pairs) {
      for (let i = 0; i < 4; i++) expect(Math.abs((a.box[i] as number) - (b.box[i] as number)), `${a.text}[${i}]`).toBeLessThanOrEqual(3);
    }
  });

  // These scans are rotated and cropped/padded onto a different canvas, so the page sits at another
  // scale and offset: the layout must match the upright scan up to a per-axis linear map.
  it.each(['gib__90_degrees', 'gib__270_degrees', 'gib__15_degrees', 'gib__minus_10_degrees'])(
    '%s: same words, and the upright layout matches the upright scan up to scale and offset',
    (name) => {
      // Prepare
      const upright = blocksToPages(loadBlocks('gib'))[0]!.words;

      // Act
      const rotated = blocksToPages(loadBlocks(name))[0]!.words;

      // Assess
      const pairs = pairUnique(upright, rotated);
      expect(pairs.length).toBeGreaterThan(50);
      for (const axis of [0, 1] as const) {
        const { slope, residuals } = fitAxis(pairs, axis);
        // A wrong rotation would swap or mirror the axes: slope ~0 or negative, residuals of hundreds.
        expect(slope).toBeGreaterThan(0.5);
        expect(Math.max(...residuals)).toBeLessThanOrEqual(4);
      }
      // Words in the rotated scans stay horizontal: boxes are wider than tall for long words.
      const long = rotated.filter((w) => w.text.length >= 8);
      expect(long.every((w) => w.box[2] - w.box[0] > w.box[3] - w.box[1])).toBe(true);
    },
  );

  it('swaps width and height of a quarter-turned page when the pixel size is known', () => {
    // Prepare
    const blocks = loadBlocks('gib__90_degrees');

    // Act
    const [page] = blocksToPages(blocks, { 1: { width: 1240, height: 1754 } });

    // Assess
    expect(page).toMatchObject({ width: 1754, height: 1240 });
  });

  it('reads the left column before the right one, header first and footer last', () => {
    // Prepare
    const blocks = loadBlocks('test-twocol-header-footer-response');

    // Act
    const words = texts(blocksToPages(blocks)[0]!.words);

    // Assess
    const sentence = words.join(' ');
    const at = (phrase: string) => {
      const i = sentence.indexOf(phrase);
      expect(i, phrase).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(words.slice(0, 2)).toEqual(['Left-aligned', 'header']);
    expect(sentence.endsWith('footer content')).toBe(true);
    // Last line of the left column, then first line of the right column.
    expect(at('ML model-based approaches may be appropriate.')).toBeLessThan(at('The Amazon Textract Response Parser aims to'));
    expect(at('columns, the intended reading order is typically to complete one column top-to-bottom')).toBeGreaterThan(0);
    expect(at('When a section of (LTR) text')).toBeGreaterThan(at('A section heading'));
    expect(at('The included sample test documents are fully synthetic.')).toBeLessThan(at('After a two-column section'));
    expect(at('A final section')).toBeLessThan(at('Left-aligned footer'));
  });

  it("reads running prose in Textract's own line order", () => {
    // Prepare
    const blocks = loadBlocks('little_women_page_1');
    const byId = new Map(blocks.map((b) => [b.Id, b]));
    const expected = blocks
      .filter((b) => b.BlockType === 'LINE')
      .flatMap((line) => (line.Relationships ?? []).filter((r) => r.Type === 'CHILD').flatMap((r) => r.Ids ?? []))
      .map((id) => byId.get(id)?.Text ?? '');

    // Act
    const words = texts(blocksToPages(blocks)[0]!.words);

    // Assess
    expect(words).toEqual(expected);
  });

  it('returns one entry per page of a multi-page response, in page order', () => {
    // Prepare
    const blocks = loadBlocks('multi-page-forms-samples-2-page');
    const countOn = (page: number) => blocks.filter((b) => b.BlockType === 'WORD' && b.Page === page).length;

    // Act
    const pages = blocksToPages(blocks, { 2: { width: 850, height: 1100 } });

    // Assess
    expect(pages.map((p) => p.page)).toEqual([1, 2]);
    expect(pages.map((p) => p.words.length)).toEqual([countOn(1), countOn(2)]);
    expect(pages.map((p) => [p.width, p.height])).toEqual([
      [1000, 1000],
      [850, 1100],
    ]);
  });
});

describe('blocksToPages on hand-made blocks', () => {
  it('puts blocks without Page on page 1, skips empty words, clamps boxes, falls back to BoundingBox', () => {
    // Prepare
    const blocks: TextractBlock[] = [
      wordBlock('a', 'EDGE', -0.02, 0.1, 0.2, 0.15),
      wordBlock('b', '   ', 0.3, 0.1, 0.4, 0.15),
      {
        BlockType: 'WORD',
        Id: 'c',
        Text: 'BOXED',
        Confidence: 77,
        Geometry: { BoundingBox: { Left: 0.5, Top: 0.1, Width: 0.2, Height: 0.05 } },
      },
      wordBlock('d', 'FAR', 0.9, 0.95, 1.04, 1.01),
    ];

    // Act
    const pages = blocksToPages(blocks);

    // Assess
    expect(pages).toHaveLength(1);
    expect(pages[0]!.page).toBe(1);
    expect(pages[0]!.words).toEqual([
      { text: 'EDGE', box: [0, 100, 200, 150], confidence: 90 },
      { text: 'BOXED', box: [500, 100, 700, 150], confidence: 77 },
      { text: 'FAR', box: [900, 950, 1000, 1000], confidence: 90 },
    ]);
  });

  it('reads a receipt row by row: a narrow price column is not a text column', () => {
    // Prepare: three item rows with tight line spacing, names left and prices right, no LINE blocks.
    const rows = ['OAT', 'BREAD', 'EGGS'];
    const blocks: TextractBlock[] = rows.flatMap((name, i) => [
      wordBlock(`n${i}`, name, 0.1, 0.3 + i * 0.03, 0.3, 0.325 + i * 0.03),
      wordBlock(`p${i}`, `${i + 1}.00`, 0.8, 0.3 + i * 0.03, 0.88, 0.325 + i * 0.03),
    ]);

    // Act
    const words = texts(blocksToPages(blocks)[0]!.words);

    // Assess
    expect(words).toEqual(['OAT', '1.00', 'BREAD', '2.00', 'EGGS', '3.00']);
  });

  it('ignores a few words that run another way when finding the page orientation', () => {
    // Prepare: five words pointing right (upright), one pointing down.
    const vectors = [...Array.from({ length: 5 }, () => ({ dx: 10, dy: 0.1 })), { dx: 0, dy: 40 }];

    // Act
    const angle = dominantTextAngle(vectors);

    // Assess
    expect(angle).toBeCloseTo(0.57, 1);
  });
});
