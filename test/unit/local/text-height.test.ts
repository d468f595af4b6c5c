/**
 * The text height the local OCR sees on a page's pixels before reading it (local/textract/text-height.ts),
 * and what it decides with it: a page of small print is read enlarged from the start, a page of ordinary
 * print at its own size. Pages are drawn here with the project's test font.
 */
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { afterAll, describe, expect, it } from 'vitest';
import { OcrEngine } from '../../../local/textract/ocr';
import { decodePage, toGray } from '../../../local/textract/preprocess';
import { estimateTextHeight } from '../../../local/textract/text-height';

GlobalFonts.loadFontsFromDir('/usr/share/fonts/truetype/dejavu');

const LINES = ['GREEN LEAF GROCER', 'NO 7 JALAN AMPANG', 'TEH TARIK 2.50', 'NASI LEMAK 6.90', 'TOTAL 9.40', 'CASH 10.00'];

/** LINES in black on white at `fontPx`, one line every 1.8 font heights. */
const page = (fontPx: number, draw: (ctx: ReturnType<ReturnType<typeof createCanvas>['getContext']>) => void = () => undefined): Buffer => {
  const width = Math.round(fontPx * 14);
  const height = Math.round(fontPx * (LINES.length * 1.8 + 3));
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = `${fontPx}px "DejaVu Sans"`;
  ctx.textBaseline = 'top';
  draw(ctx);
  return canvas.toBuffer('image/png');
};

const textPage = (fontPx: number): Buffer =>
  page(fontPx, (ctx) => LINES.forEach((text, i) => ctx.fillText(text, fontPx, fontPx * (1.5 + i * 1.8))));

const estimate = async (png: Buffer): Promise<number | undefined> => estimateTextHeight(toGray(await decodePage(png)));

describe('estimateTextHeight', () => {
  it.each([10, 14, 24, 40])('puts %i px capitals at about the height of their word boxes', async (fontPx) => {
    // Act
    const px = await estimate(textPage(fontPx));

    // Assess: DejaVu Sans capitals are 0.73 of the font size tall; a word box of capitals is about that.
    expect(px).toBeDefined();
    expect(px).toBeGreaterThan(0.65 * fontPx);
    expect(px).toBeLessThan(1.05 * fontPx);
  });

  it('says nothing for a page without character-shaped marks (blank, or only rule lines and a frame)', async () => {
    // Prepare
    const ruled = page(20, (ctx) => {
      ctx.fillRect(0, 0, 280, 3);
      for (let y = 20; y < 200; y += 12) ctx.fillRect(10, y, 250, 2);
      ctx.strokeRect(5, 5, 260, 200);
    });

    // Act / Assess
    expect(await estimate(page(20))).toBeUndefined();
    expect(await estimate(ruled)).toBeUndefined();
  });
});

describe('the local OCR and small print', () => {
  // Only the reading at the chosen size: no second reading or clean-up to count.
  const engine = new OcrEngine({ workers: 1, secondReading: 'never', cleanup: 'never' });
  afterAll(() => engine.close());

  it('reads a page of small print enlarged, and a page of ordinary print at its own size', async () => {
    // Act
    const small = await engine.recognizePage(textPage(11), 1);
    const afterSmall = engine.stats;
    const ordinary = await engine.recognizePage(textPage(30), 1);

    // Assess: the small page was enlarged (once: from its pixels, not after a first reading), the other not,
    // and both read their total.
    const texts = (blocks: typeof small): string[] => blocks.filter((b) => b.BlockType === 'WORD').map((b) => b.Text ?? '');
    expect(afterSmall).toMatchObject({ enlarged: 1, reads: 1 });
    expect(engine.stats).toMatchObject({ enlarged: 1, reads: 2 });
    expect(texts(small)).toEqual(expect.arrayContaining(['TOTAL', '9.40']));
    expect(texts(ordinary)).toEqual(expect.arrayContaining(['TOTAL', '9.40']));
  });
});
