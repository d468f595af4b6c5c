/**
 * White text on dark bands turned dark-on-white before the local OCR reads a page (local/textract/dark-bands.ts),
 * so it reads even without tesseract's own inverted retry: the band is read, and nothing that is not a
 * band (bold words, solid bars, a photo's dark square, plain text) is touched. Pages are drawn here with the
 * project's test font.
 */
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { findDarkBands, invertDarkBands } from '../../../local/textract/dark-bands';
import { OcrEngine } from '../../../local/textract/ocr';
import type { GrayImage } from '../../../local/textract/page-cleanup';
import { decodePage } from '../../../local/textract/preprocess';
import { DEFAULT_LIBRARY } from '../../../local/textract/libtesseract';
import { createReader, probeNativeTesseract } from '../../../local/textract/readers';

GlobalFonts.loadFontsFromDir('/usr/share/fonts/truetype/dejavu');

const WIDTH = 900;
const HEIGHT = 420;

/** A white page with `draw` on it, as a PNG. */
const page = (draw: (ctx: SKRSContext2D) => void): Buffer => {
  const canvas = createCanvas(WIDTH, HEIGHT);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  ctx.fillStyle = '#000000';
  ctx.font = '28px "DejaVu Sans"';
  ctx.textBaseline = 'top';
  draw(ctx);
  return canvas.toBuffer('image/png');
};

/** An invoice-like page: a line of text, a table header in white on a dark band, two rows under it. */
const invoice = page((ctx) => {
  ctx.fillText('NORTHWIND TRADING LTD', 30, 30);
  ctx.fillStyle = '#1f1f1f';
  ctx.fillRect(20, 110, 860, 56);
  ctx.fillStyle = '#ffffff';
  ctx.fillText('DESCRIPTION   QTY   AMOUNT', 40, 124);
  ctx.fillStyle = '#000000';
  ctx.fillText('COFFEE BEANS   2   18.40', 40, 200);
  ctx.fillText('TOTAL   18.40', 40, 270);
});

const gray = async (png: Buffer): Promise<GrayImage> => {
  const decoded = await decodePage(png);
  // The raw pixels (red channel of a gray page), before toGray would invert anything.
  const canvas = createCanvas(decoded.width, decoded.height);
  canvas.getContext('2d').drawImage(decoded.image, 0, 0);
  const rgba = canvas.getContext('2d').getImageData(0, 0, decoded.width, decoded.height).data;
  const pixels = new Uint8Array(decoded.width * decoded.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rgba[i * 4] ?? 255;
  return { width: decoded.width, height: decoded.height, pixels };
};

describe('findDarkBands', () => {
  it('finds a white-on-dark table header to within a few pixels of its edges', async () => {
    // Act
    const bands = findDarkBands(await gray(invoice));
    // Assess
    expect(bands).toHaveLength(1);
    const [band] = bands;
    expect(Math.abs((band?.x0 ?? 0) - 20)).toBeLessThanOrEqual(2);
    expect(Math.abs((band?.x1 ?? 0) - 880)).toBeLessThanOrEqual(2);
    expect(Math.abs((band?.y0 ?? 0) - 110)).toBeLessThanOrEqual(2);
    expect(Math.abs((band?.y1 ?? 0) - 166)).toBeLessThanOrEqual(2);
  });

  it('leaves alone what is not a band: plain text, heavy bold words, a solid bar, a dark square', async () => {
    // Prepare
    const others = page((ctx) => {
      ctx.fillText('PLAIN TEXT ON PAPER 12.50', 30, 20);
      ctx.font = 'bold 64px "DejaVu Sans"';
      ctx.fillText('TOTAL', 30, 70);
      ctx.lineWidth = 6;
      ctx.strokeText('TOTAL', 330, 70);
      ctx.fillRect(30, 180, 840, 30);
      ctx.fillRect(600, 240, 150, 150);
    });
    // Act
    const image = await gray(others);
    // Assess
    expect(findDarkBands(image)).toEqual([]);
    expect(invertDarkBands(image)).toBe(image);
  });

  it('inverts the band alone, so its text reads dark on white and the page around it is as it was', async () => {
    // Prepare
    const before = await gray(invoice);
    // Act
    const after = invertDarkBands(before);
    // Assess: inside the band the background is now light; outside it, nothing changed.
    const at = (image: GrayImage, x: number, y: number): number => image.pixels[y * image.width + x] ?? -1;
    expect(at(before, 30, 115)).toBeLessThan(64);
    expect(at(after, 30, 115)).toBeGreaterThan(192);
    for (const [x, y] of [
      [5, 5],
      [40, 40],
      [40, 210],
      [890, 400],
    ] as const)
      expect(at(after, x, y)).toBe(at(before, x, y));
  });
});

const NATIVE = probeNativeTesseract(DEFAULT_LIBRARY);
const ENGINES = 'version' in NATIVE ? (['native', 'wasm'] as const) : (['wasm'] as const);

describe.each(ENGINES)('a white-on-dark table header read by the local OCR (%s)', { timeout: 60_000 }, (choice) => {
  it('comes back as words, in its place among the lines', async () => {
    // Prepare
    const engine = new OcrEngine({ workers: 1, engine: choice });
    try {
      // Act
      const lines = (await engine.detect(invoice)).filter((b) => b.BlockType === 'LINE').map((b) => b.Text ?? '');
      // Assess
      expect(lines.map((l) => l.replace(/\s+/g, ' '))).toEqual([
        'NORTHWIND TRADING LTD',
        'DESCRIPTION QTY AMOUNT',
        'COFFEE BEANS 2 18.40',
        'TOTAL 18.40',
      ]);
    } finally {
      await engine.close();
    }
  });

  it("is lost when the band is not inverted first and tesseract's own inverted retry is off (the control)", async () => {
    // Prepare: the page's pixels as they are, handed to the reader directly.
    const reader = createReader(choice, DEFAULT_LIBRARY, {
      size: 1,
      jobTimeoutMs: 60_000,
      tesseractParameters: { tessedit_do_invert: '0' },
    });
    try {
      // Act
      const words = (await reader.read(await gray(invoice), 6)).flat().map((w) => w.text);
      // Assess
      expect(words).toEqual(expect.arrayContaining(['NORTHWIND', 'COFFEE', 'TOTAL']));
      expect(words).not.toContain('DESCRIPTION');
      expect(words).not.toContain('AMOUNT');
    } finally {
      await reader.close();
    }
  });
});
