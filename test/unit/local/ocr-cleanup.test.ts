/**
 * No readable page lost (issue 17): a faint print on grey paper beside a dark scanner border, which
 * tesseract's global threshold reads as nothing, is recovered by the clean-up pass of the local OCR; a page
 * of pure noise stays unreadable, and the dataset builder quarantines it with that reason, not as an
 * annotation that matched nothing. Pages are drawn here, with the project's test font.
 */
import { createCanvas } from '@napi-rs/canvas';
import { afterAll, describe, expect, it } from 'vitest';
import type { TextractBlock } from '../../../local/textract/blocks';
import { OcrEngine, type PageOutcome } from '../../../local/textract/ocr';
import { adaptiveThreshold, normalisePage, paperMask } from '../../../local/textract/page-cleanup';
import { probeNativeTesseract } from '../../../local/textract/readers';
import { buildDataset } from '../../../src/dataset/index';
import { blocksToOcrDocument } from '../../../src/textract/index';
import { isNoise, measureReading } from '../../../src/textract/reading-quality';
import { renderReceipt } from './helpers';

const LINES = ['BLUE HERON MARKET', 'NO 12 JALAN MERANTI', 'OAT MILK 3.20', 'RYE BREAD 4.10', 'TOTAL 8.32', 'CASH 10.00'];

/**
 * The receipt of LINES printed faint (ink 0x8c) on grey paper (0xa0), lying on a near-black scanner bed
 * that takes a third of the image: what a flatbed scan of a faded thermal receipt looks like.
 */
const faintScan = (): Buffer => {
  const receipt = renderReceipt(LINES, { width: 760, height: 480 });
  const paper = createCanvas(760, 480);
  const p = paper.getContext('2d');
  p.fillStyle = '#a0a0a0';
  p.fillRect(0, 0, 760, 480);
  p.fillStyle = '#8c8c8c';
  p.font = `${receipt.fontPx}px "DejaVu Sans"`;
  p.textBaseline = 'top';
  LINES.forEach((text, i) => p.fillText(text, receipt.left, receipt.lineTops[i] ?? 0));
  const scan = createCanvas(1100, 600);
  const s = scan.getContext('2d');
  s.fillStyle = '#141414';
  s.fillRect(0, 0, 1100, 600);
  s.drawImage(paper, 170, 60);
  return scan.toBuffer('image/png');
};

/** Pixels of two levels at random (a fixed seed): nothing on it is text. */
const noisePage = (): Buffer => {
  const width = 360;
  const height = 240;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  let seed = 3;
  for (let i = 0; i < width * height; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const v = seed / 2147483648 < 0.5 ? 40 : 200;
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  return canvas.toBuffer('image/png');
};

const words = (blocks: readonly TextractBlock[]): string[] => blocks.filter((b) => b.BlockType === 'WORD').map((b) => b.Text ?? '');
const wanted = LINES.join(' ').split(' ');

describe('page clean-up', () => {
  it('finds the paper beside a dark border, flattens it to white and stretches the faint print to black', () => {
    // Prepare: 100x60, a dark border 20 px wide on the left, grey paper 160, a faint stroke 140 inside it.
    const width = 100;
    const height = 60;
    const pixels = new Uint8Array(width * height).fill(160);
    for (let y = 0; y < height; y++) for (let x = 0; x < 20; x++) pixels[y * width + x] = 20;
    for (let y = 20; y < 40; y++) for (let x = 50; x < 54; x++) pixels[y * width + x] = 140;
    const image = { width, height, pixels };

    // Act
    const mask = paperMask(image);
    const clean = normalisePage(image);
    const binary = adaptiveThreshold(clean);

    // Assess: the border is not paper, and becomes white; the paper is white; the stroke is dark.
    expect(mask[30 * width + 5]).toBe(0);
    expect(mask[30 * width + 70]).toBe(1);
    expect(clean.pixels[30 * width + 5]).toBe(255);
    expect(clean.pixels[10 * width + 80]).toBeGreaterThan(240);
    expect(clean.pixels[30 * width + 51]).toBeLessThan(100);
    expect(binary.pixels[30 * width + 51]).toBe(0);
    expect(binary.pixels[10 * width + 80]).toBe(255);
  });

  it('paints nothing out of a page without a border', () => {
    const pixels = new Uint8Array(50 * 50).fill(230);
    for (let x = 0; x < 50; x++) pixels[25 * 50 + x] = 10; // a rule across the page touching both edges
    expect(paperMask({ width: 50, height: 50, pixels }).every((v) => v === 1)).toBe(true);
  });
});

/** Both tesseracts go through the same path; native only where installed (npm test's setup installs it). */
const NATIVE = probeNativeTesseract('tesseract');
const ENGINES = 'version' in NATIVE ? (['native', 'wasm'] as const) : (['wasm'] as const);

describe.each(ENGINES)('no readable page lost (%s)', { timeout: 120_000 }, (choice) => {
  const outcomes: PageOutcome[] = [];
  const engine = new OcrEngine({ workers: 1, engine: choice, onPage: (page) => outcomes.push(page) });
  const without = new OcrEngine({ workers: 1, engine: choice, cleanup: 'never' });
  afterAll(async () => {
    await engine.close();
    await without.close();
  });

  it('reads a faint print on grey paper beside a dark border after cleaning the page up', async () => {
    // Prepare
    const scan = faintScan();

    // Act
    const plain = words(await without.detect(scan));
    const cleaned = await engine.detect(scan);

    // Assess: without the clean-up the page gives none of its words; with it, every one of them, where it is printed.
    expect(plain.filter((w) => wanted.includes(w))).toEqual([]);
    expect(words(cleaned)).toEqual(expect.arrayContaining(wanted));
    const outcome = outcomes.at(-1);
    expect(outcome?.cleanup?.won).toBeDefined();
    expect(isNoise(outcome?.cleanup?.measuresBefore ?? measureReading([]))).toBe(true);
    expect(isNoise(outcome?.cleanup?.measuresAfter ?? measureReading([]))).toBe(false);
    expect(engine.stats).toMatchObject({ cleaned: 1, cleanupWon: 1 });
    const total = cleaned.find((b) => b.BlockType === 'WORD' && b.Text === 'TOTAL')?.Geometry.BoundingBox;
    // Drawn at x 170 + 60 of 1100, y 60 + 340 of 600 (ratios of the whole scan, border included).
    expect(total?.Left).toBeCloseTo(230 / 1100, 1);
    expect(total?.Top).toBeCloseTo(400 / 600, 1);
  });

  it('does not clean up a page that reads well', async () => {
    const before = engine.stats.cleaned;
    const found = words(await engine.detect(renderReceipt(LINES, { width: 760, height: 480 }).png));
    expect(found).toEqual(expect.arrayContaining(wanted));
    expect(engine.stats.cleaned).toBe(before);
  });

  it('quarantines a page that stays noise after every reading as unreadable, with the measures', async () => {
    // Act: the local Textract's reading, converted as the OCR step converts it, then the dataset builder.
    const blocks = await engine.detect(noisePage());
    const document = blocksToOcrDocument(blocks, { 1: { width: 360, height: 240 } });
    const good = blocksToOcrDocument(await engine.detect(renderReceipt(LINES, { width: 760, height: 480 }).png));
    const docOf = (id: string, pages: typeof document.pages) => ({
      id,
      source: `s3://bucket/documents/${id}.png`,
      ocrEngine: engine.engine,
      contentHash: `c-${id}`,
      annotationHash: `a-${id}`,
      pages,
      annotation: { schemaVersion: 1 as const, fields: { total: '8.32' } },
    });
    const built = buildDataset({
      documents: [docOf('noise', document.pages), docOf('good', good.pages)],
      quarantined: [],
      validationFraction: 0,
      ocrCacheHits: 0,
      pagesBilled: 2,
    });

    // Assess: the engine tried the clean-up and it did not help; the page is unreadable, not a mismatch.
    expect(outcomes.at(-2)?.cleanup).toBeDefined();
    expect(built.manifest.quarantined).toEqual([
      {
        documentKey: 'documents/noise.png',
        reason: expect.stringMatching(/^unreadable: every OCR reading was noise \(\d+ words?, mean confidence \d+, \d+% word-like, /),
        stage: 'dataset',
      },
    ]);
    expect(built.manifest.counts.documents).toBe(1);
  });
});
