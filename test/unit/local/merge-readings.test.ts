import { describe, expect, it } from 'vitest';
import { mergeReadings } from '../../../local/textract/merge-readings';
import type { TextractBlock } from '../../../local/textract/blocks';

/** A reading: lines of [text, confidence] words laid out left to right, one line per 0.1 of the page height. */
const reading = (prefix: string, lines: { top: number; words: [string, number][] }[]): TextractBlock[] => {
  const geometry = (left: number, top: number, width: number, height: number): TextractBlock['Geometry'] => ({
    BoundingBox: { Left: left, Top: top, Width: width, Height: height },
    Polygon: [
      { X: left, Y: top },
      { X: left + width, Y: top },
      { X: left + width, Y: top + height },
      { X: left, Y: top + height },
    ],
  });
  const lineBlocks: TextractBlock[] = [];
  const wordBlocks: TextractBlock[] = [];
  lines.forEach((line, l) => {
    const ids = line.words.map(([text, confidence], w) => {
      const id = `${prefix}-w${l}.${w}`;
      wordBlocks.push({
        BlockType: 'WORD',
        Id: id,
        Text: text,
        Confidence: confidence,
        Geometry: geometry(0.1 + w * 0.2, line.top, 0.15, 0.05),
        Page: 1,
      });
      return id;
    });
    lineBlocks.push({
      BlockType: 'LINE',
      Id: `${prefix}-l${l}`,
      Text: line.words.map(([t]) => t).join(' '),
      Confidence: 50,
      Geometry: geometry(0.1, line.top, line.words.length * 0.2 - 0.05, 0.05),
      Relationships: [{ Type: 'CHILD', Ids: ids }],
      Page: 1,
    });
  });
  const page: TextractBlock = {
    BlockType: 'PAGE',
    Id: `${prefix}-page`,
    Geometry: geometry(0, 0, 1, 1),
    Relationships: [{ Type: 'CHILD', Ids: lineBlocks.map((b) => b.Id) }],
    Page: 1,
  };
  return [page, ...lineBlocks, ...wordBlocks];
};

const words = (blocks: readonly TextractBlock[]): string[] =>
  blocks
    .filter((b) => b.BlockType === 'WORD')
    .map((b) => b.Text ?? '')
    .sort();

describe('mergeReadings', () => {
  it('adds a line the first reading missed and keeps the first reading elsewhere', () => {
    // Prepare: mode 6 lost the shop name; mode 3 read it, and read the total worse.
    const primary = reading('a', [
      {
        top: 0.3,
        words: [
          ['TOTAL', 90],
          ['9.00', 92],
        ],
      },
    ]);
    const secondary = reading('b', [
      {
        top: 0.1,
        words: [
          ['TEO', 80],
          ['HENG', 85],
        ],
      },
      {
        top: 0.3,
        words: [
          ['TOTAL', 70],
          ['9.08', 60],
        ],
      },
    ]);

    // Act
    const merged = mergeReadings(primary, secondary);

    // Assess
    expect(words(merged)).toEqual(['9.00', 'HENG', 'TEO', 'TOTAL']);
    const page = merged[0] as TextractBlock;
    expect(page.BlockType).toBe('PAGE');
    // Lines and words in reading order, as Textract lists them: the shop name above the total.
    expect(page.Relationships?.[0]?.Ids).toEqual(['b-l0', 'a-l0']);
    expect(merged.filter((b) => b.BlockType === 'LINE').map((b) => b.Id)).toEqual(['b-l0', 'a-l0']);
    expect(merged.filter((b) => b.BlockType === 'WORD').map((b) => b.Text)).toEqual(['TEO', 'HENG', 'TOTAL', '9.00']);
  });

  it('replaces the words of a line the second reading read more confidently', () => {
    // Prepare
    const primary = reading('a', [
      {
        top: 0.1,
        words: [
          ['FOFULAR', 40],
          ['BODE.', 35],
        ],
      },
    ]);
    const secondary = reading('b', [
      {
        top: 0.1,
        words: [
          ['POPULAR', 88],
          ['BOOK', 86],
        ],
      },
    ]);

    // Act
    const merged = mergeReadings(primary, secondary);

    // Assess: the old line and its words are gone, every LINE's children exist.
    expect(words(merged)).toEqual(['BOOK', 'POPULAR']);
    const ids = new Set(merged.filter((b) => b.BlockType === 'WORD').map((b) => b.Id));
    for (const line of merged.filter((b) => b.BlockType === 'LINE')) {
      expect(line.Relationships?.[0]?.Ids.every((id) => ids.has(id))).toBe(true);
    }
    expect(merged.filter((b) => b.BlockType === 'LINE').map((b) => b.Id)).toEqual(['b-l0']);
  });

  it('puts a replacing line where the lines it replaces were', () => {
    // Prepare
    const primary = reading('a', [
      { top: 0.1, words: [['SHOP', 90]] },
      { top: 0.2, words: [['FOFULAR', 40]] },
      { top: 0.3, words: [['TOTAL', 90]] },
    ]);
    const secondary = reading('b', [{ top: 0.2, words: [['POPULAR', 88]] }]);

    // Act
    const merged = mergeReadings(primary, secondary);

    // Assess
    expect(merged.filter((b) => b.BlockType === 'LINE').map((b) => b.Text)).toEqual(['SHOP', 'POPULAR', 'TOTAL']);
  });

  it("keeps the first reading where a word of it runs out of the second reading's line", () => {
    // Prepare: mode 3 read "TOTAL 30." more confidently but cut the amount; "30.19" runs out of its line.
    const primary = reading('a', [
      {
        top: 0.3,
        words: [
          ['TOTAL', 80],
          ['30.19', 80],
        ],
      },
    ]);
    const secondary = reading('b', [
      {
        top: 0.3,
        words: [
          ['TOTAL', 95],
          ['30.', 95],
        ],
      },
    ]);
    const amount = secondary.find((b) => b.Text === '30.');
    const line = secondary.find((b) => b.BlockType === 'LINE');
    if (amount === undefined || line === undefined) throw new Error('fixture');
    amount.Geometry.BoundingBox.Width = 0.05;
    line.Geometry.BoundingBox.Width = 0.3; // 0.1 to 0.4: the centre of 30.19 (0.3 to 0.45) inside, a third of it outside

    // Act
    const merged = mergeReadings(primary, secondary);

    // Assess
    expect(words(merged)).toEqual(['30.19', 'TOTAL']);
  });

  it('shrinks a first-reading line that lost some of its words to its remaining words', () => {
    // Prepare: the second reading covers only the first two words of a three-word line.
    const primary = reading('a', [
      {
        top: 0.1,
        words: [
          ['C0.', 30],
          ['(N)', 30],
          ['SDN', 95],
        ],
      },
    ]);
    const secondary = reading('b', [
      {
        top: 0.1,
        words: [
          ['CO.', 90],
          ['(M)', 90],
        ],
      },
    ]);

    // Act
    const merged = mergeReadings(primary, secondary);

    // Assess
    expect(words(merged)).toEqual(['(M)', 'CO.', 'SDN']);
    const shrunk = merged.find((b) => b.Id === 'a-l0');
    expect(shrunk?.Text).toBe('SDN');
    expect(shrunk?.Relationships?.[0]?.Ids).toEqual(['a-w0.2']);
    expect(shrunk?.Geometry.BoundingBox.Left).toBeCloseTo(0.5);
  });

  it('returns the first reading unchanged when the second is empty', () => {
    const primary = reading('a', [{ top: 0.1, words: [['TOTAL', 90]] }]);
    expect(mergeReadings(primary, reading('b', []))).toEqual(primary);
  });
});
