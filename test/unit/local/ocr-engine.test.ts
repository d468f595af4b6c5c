import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { crc32, deflateSync } from 'node:zlib';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { createWorker, OEM } from 'tesseract.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkImageLimits, MAX_IMAGE_SIDE_PX } from '../../../local/textract/limits';
import type { TextractBlock } from '../../../local/textract/blocks';
import { DEFAULT_LIBRARY } from '../../../local/textract/libtesseract';
import { OcrEngine } from '../../../local/textract/ocr';
import { NativeTesseractMissingError, parseEngineChoice, probeNativeTesseract, readingFromTsv } from '../../../local/textract/readers';
import { renderReceipt } from './helpers';

/** A valid PNG of any size, 1-bit grayscale, all white: a few KB on disk however many pixels it has. */
const whitePng = (width: number, height: number): Buffer => {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const row = Buffer.alloc(1 + Math.ceil(width / 8), 0xff);
  row[0] = 0; // filter: none
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
};

/**
 * JPEG of `png` stored rotated 90 degrees counter-clockwise; with `exif`, tagged with little-endian EXIF
 * orientation 6 (display: rotate 90 degrees clockwise), so that viewers show it upright.
 */
const sidewaysJpeg = async (png: Buffer, exif: boolean): Promise<Buffer> => {
  const upright = await loadImage(png);
  const canvas = createCanvas(upright.height, upright.width);
  const ctx = canvas.getContext('2d');
  ctx.translate(0, upright.width);
  ctx.rotate(-Math.PI / 2);
  ctx.drawImage(upright, 0, 0);
  const jpeg = await canvas.encode('jpeg', 95);
  if (!exif) return jpeg;
  const ifd = Buffer.alloc(26);
  ifd.write('II*\u0000', 0, 'latin1');
  ifd.writeUInt32LE(8, 4); // first IFD
  ifd.writeUInt16LE(1, 8); // one entry
  ifd.writeUInt16LE(0x0112, 10); // Orientation
  ifd.writeUInt16LE(3, 12); // SHORT
  ifd.writeUInt32LE(1, 14); // count
  ifd.writeUInt16LE(6, 18); // value
  ifd.writeUInt32LE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\u0000\u0000', 'latin1'), ifd]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, payload, jpeg.subarray(2)]);
};

const words = (blocks: readonly TextractBlock[]): string[] => blocks.filter((b) => b.BlockType === 'WORD').map((b) => b.Text ?? '');

const RECEIPTS = [
  ['BLUE HERON MARKET', 'OAT MILK 3.20', 'TOTAL 8.32'],
  ['CORNER BAKERY', 'RYE BREAD 4.10', 'TOTAL 4.10'],
  ['HARBOUR CAFE', 'FLAT WHITE 3.80', 'TOTAL 3.80'],
].map((lines) => ({ lines, png: renderReceipt(lines, { width: 640, height: 300 }).png }));

/** Both tesseracts pass the same tests; native only where installed (npm test's setup installs it: CI always has it). */
const NATIVE = probeNativeTesseract(DEFAULT_LIBRARY);
const ENGINES = 'version' in NATIVE ? (['native', 'wasm'] as const) : (['wasm'] as const);

describe('Textract limits', () => {
  it('accepts 10000 pixels on a side and refuses one more, from the header alone', () => {
    expect(checkImageLimits(whitePng(MAX_IMAGE_SIDE_PX, 8))).toEqual({ format: 'png', width: 10_000, height: 8 });
    for (const png of [whitePng(MAX_IMAGE_SIDE_PX + 1, 8), whitePng(8, MAX_IMAGE_SIDE_PX + 1)]) {
      expect(() => checkImageLimits(png)).toThrow(expect.objectContaining({ name: 'BadDocumentException' }));
    }
    expect(() => checkImageLimits(Buffer.alloc(0))).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
    expect(() => checkImageLimits(Buffer.alloc(10 * 1024 * 1024 + 1, 0xff))).toThrow(
      expect.objectContaining({ name: 'DocumentTooLargeException' }),
    );
    expect(() => checkImageLimits(Buffer.from('GIF89a........'))).toThrow(
      expect.objectContaining({ name: 'UnsupportedDocumentException' }),
    );
  });
});

describe.each(ENGINES)('OcrEngine (%s)', { timeout: 60_000 }, (choice) => {
  const engine = new OcrEngine({ workers: 2, engine: choice });
  afterAll(() => engine.close());

  it('says which engine reads the pages', () => {
    expect(engine.engine).toMatch(
      choice === 'native' ? /^tesseract \d+\.\d+(\.\d+)? \(native, eng 4\.0\.0_best_int\)$/ : /^tesseract\.js \d+\.\d+\.\d+ \(wasm\)$/,
    );
  });

  it('fails a page still being read past the page timeout as BadDocumentException, and stops reading it', async () => {
    // Prepare: a receipt takes well over 30 ms to read on either engine.
    const hurried = new OcrEngine({ workers: 1, engine: choice, pageTimeoutMs: 30 });
    try {
      // Act
      const outcome = hurried.detect(RECEIPTS[0]?.png as Buffer);
      // Assess
      await expect(outcome).rejects.toMatchObject({ name: 'BadDocumentException', message: expect.stringContaining('OCR did not finish') });
    } finally {
      await hurried.close();
    }
    expect(hurried.liveWorkers).toBe(0);
  });

  it('refuses a 12000x12000 image between good receipts, and every good receipt still gets its words', async () => {
    const huge = whitePng(12_000, 12_000);
    expect(huge.length).toBeLessThan(10 * 1024 * 1024);
    const documents = [RECEIPTS[0]?.png, huge, RECEIPTS[1]?.png, huge, RECEIPTS[2]?.png].map((d) => d as Buffer);
    // All at once, more documents than workers, the oversized ones in the middle.
    const results = await Promise.allSettled(documents.map((d) => engine.detect(d)));
    const [a, hugeA, b, hugeB, c] = results;
    for (const refused of [hugeA, hugeB]) {
      expect(refused?.status).toBe('rejected');
      expect(refused?.status === 'rejected' ? refused.reason : undefined).toMatchObject({
        name: 'BadDocumentException',
        message: expect.stringContaining('12000x12000'),
      });
    }
    [a, b, c].forEach((result, i) => {
      expect(result?.status).toBe('fulfilled');
      const found = result?.status === 'fulfilled' ? words(result.value) : [];
      for (const word of (RECEIPTS[i]?.lines ?? []).join(' ').split(' ')) expect(found).toContain(word);
    });
    expect(engine.liveWorkers).toBeLessThanOrEqual(2);
  });

  it('recognizePage labels every block with the page number', async () => {
    const blocks = await engine.recognizePage(RECEIPTS[0]?.png as Buffer, 3);
    expect(blocks[0]?.BlockType).toBe('PAGE');
    expect(blocks.every((b) => b.Page === 3)).toBe(true);
    expect(words(blocks)).toContain('HERON');
    await expect(engine.recognizePage(RECEIPTS[0]?.png as Buffer, 0)).rejects.toBeInstanceOf(RangeError);
  });

  it('reads a photo stored sideways with little-endian EXIF orientation upright', async () => {
    const jpeg = await sidewaysJpeg(RECEIPTS[0]?.png as Buffer, true);
    const blocks = await engine.detect(jpeg);
    const found = blocks.filter((b) => b.BlockType === 'WORD');
    expect(found.map((w) => w.Text)).toEqual(expect.arrayContaining(['BLUE', 'HERON', 'MARKET', 'TOTAL', '8.32']));
    const top = (text: string): number => found.find((w) => w.Text === text)?.Geometry.BoundingBox.Top ?? NaN;
    const left = (text: string): number => found.find((w) => w.Text === text)?.Geometry.BoundingBox.Left ?? NaN;
    // Upright geometry: the title above the total, words of a line left to right.
    expect(top('BLUE')).toBeLessThan(top('TOTAL'));
    expect(left('BLUE')).toBeLessThan(left('MARKET'));
  });

  it('reads a page lying sideways with nothing saying so, with the geometry of rotated text', async () => {
    const blocks = await engine.detect(await sidewaysJpeg(RECEIPTS[0]?.png as Buffer, false));
    const found = blocks.filter((b) => b.BlockType === 'WORD');
    expect(found.map((w) => w.Text)).toEqual(expect.arrayContaining(['BLUE', 'HERON', 'MARKET', 'TOTAL', '8.32']));
    const box = (text: string) => found.find((w) => w.Text === text)?.Geometry;
    // The text runs bottom to top: words are tall and narrow, the first line is leftmost, a line's first word lowest.
    expect(box('MARKET')?.BoundingBox.Height).toBeGreaterThan(box('MARKET')?.BoundingBox.Width ?? Infinity);
    expect(box('BLUE')?.BoundingBox.Left).toBeLessThan(box('TOTAL')?.BoundingBox.Left ?? -Infinity);
    expect(box('BLUE')?.BoundingBox.Top).toBeGreaterThan(box('MARKET')?.BoundingBox.Top ?? Infinity);
    // The polygon starts at the word's own top-left, which is its bottom-left on the page.
    const [first] = box('BLUE')?.Polygon ?? [];
    expect(first?.Y).toBeCloseTo((box('BLUE')?.BoundingBox.Top ?? 0) + (box('BLUE')?.BoundingBox.Height ?? 0), 5);
  });

  it('reads a heading the first reading dropped from the heading band alone, in its place and once', async () => {
    // Prepare: a shop name printed three times the size of the text below it, which mode 6 leaves out.
    const canvas = createCanvas(800, 900);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, 800, 900);
    ctx.fillStyle = '#000000';
    ctx.textBaseline = 'top';
    ctx.font = 'bold 90px "DejaVu Sans"';
    ctx.fillText('BLUE HERON', 60, 40);
    ctx.font = '28px "DejaVu Sans Mono"';
    const body = ['CASH 10.00 CHANGE 1.68', 'TOTAL 8.32 TAX 0.50', 'ITEM COFFEE 3.20 TEA 2.10', 'THANK YOU PLEASE COME AGAIN'];
    body.forEach((text, i) => ctx.fillText(text, 60, 300 + i * 50));
    const png = canvas.toBuffer('image/png');
    const read = async (secondReading: 'never' | 'auto') => {
      const one = new OcrEngine({ workers: 1, engine: choice, secondReading, cleanup: 'never' });
      try {
        return { blocks: await one.detect(png), stats: one.stats };
      } finally {
        await one.close();
      }
    };
    // Act
    const [once, auto] = [await read('never'), await read('auto')];
    // Assess: the control misses the heading; the band alone was read a second time and gave it back.
    expect(words(once.blocks)).not.toContain('HERON');
    expect(auto.stats).toMatchObject({ readTwice: 1, bandsOnly: 1 });
    const lines = auto.blocks.filter((b) => b.BlockType === 'LINE').map((l) => l.Text);
    expect(lines[0]).toBe('BLUE HERON');
    expect(lines.slice(1)).toEqual(body);
    expect(words(auto.blocks).filter((w) => w === 'TOTAL')).toHaveLength(1);
  });

  it('refuses a truncated image instead of reading it as a blank page', async () => {
    const png = RECEIPTS[1]?.png as Buffer;
    await expect(engine.detect(png.subarray(0, Math.floor(png.length / 2)))).rejects.toMatchObject({
      name: 'BadDocumentException',
    });
  });
});

describe('tesseract output', { timeout: 60_000 }, () => {
  /** Everything written to this process's stdout/stderr (worker threads' output included) while `fn` runs. */
  const captureOutput = async (fn: () => Promise<void>): Promise<string> => {
    const chunks: string[] = [];
    const grab = (chunk: unknown): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab);
    try {
      await fn();
      await new Promise((r) => setTimeout(r, 300)); // worker threads' output arrives asynchronously
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    return chunks.join('');
  };
  // A tesseract diagnostic that prints on every page (the same channel as "Line cannot be recognized").
  const DIAGNOSTIC = { textord_debug_xheights: '1' };

  it('a plain tesseract.js worker prints its diagnostics (the control)', async () => {
    const langPath = path.join(
      path.dirname(createRequire(import.meta.url).resolve('@tesseract.js-data/eng/package.json')),
      '4.0.0_best_int',
    );
    const output = await captureOutput(async () => {
      const worker = await createWorker(
        'eng',
        OEM.LSTM_ONLY,
        { langPath, gzip: true, cacheMethod: 'none' },
        Object.entries(DIAGNOSTIC)
          .map(([k, v]) => `${k} ${v}`)
          .join('\n'),
      );
      await worker.recognize(RECEIPTS[2]?.png);
      await worker.terminate();
    });
    expect(output).toMatch(/min_height=/);
  });

  it("the engine's worker thread drops leptonica's messages and nothing else", async () => {
    // Prepare: a worker thread running the engine's worker script, its stderr captured.
    const script = fileURLToPath(new URL('../../../local/textract/tesseract-worker.cjs', import.meta.url));
    const worker = new Worker(
      `require(${JSON.stringify(script)});
       console.error('Error in boxClipToRectangle: box outside rectangle');
       console.error('Warning in pixScanForForeground: invalid box');
       console.error('a real problem');
       require('node:worker_threads').parentPort.postMessage('done');`,
      { eval: true, stderr: true },
    );
    let stderr = '';
    worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

    // Act
    await new Promise((resolve) => worker.once('message', resolve));
    await new Promise((r) => setTimeout(r, 100));
    await worker.terminate();

    // Assess
    expect(stderr).toBe('a real problem\n');
  });

  it.each(ENGINES)('the engine (%s) prints nothing, with the same diagnostic on', async (choice) => {
    const quiet = new OcrEngine({ workers: 1, tesseractParameters: DIAGNOSTIC, engine: choice });
    let found: string[] = [];
    const output = await captureOutput(async () => {
      found = words(await quiet.detect(RECEIPTS[2]?.png as Buffer));
      await quiet.close();
    });
    expect(found).toContain('HARBOUR');
    expect(output).toBe('');
  });
});

describe.runIf('version' in NATIVE)('the native engine in a process of its own', { timeout: 60_000 }, () => {
  // Native code writes to the process's stderr directly, past process.stderr: only a child process shows it.
  const run = async (mode: 'engine' | 'control'): Promise<{ stdout: string; stderr: string }> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'native-quiet-'));
    try {
      const png = path.join(dir, 'page.png');
      await writeFile(png, RECEIPTS[2]?.png as Buffer);
      const script = fileURLToPath(new URL('./fixtures/native-quiet/read-page.ts', import.meta.url));
      return await promisify(execFile)(process.execPath, ['--import', 'tsx', script, png, mode], { encoding: 'utf8' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it("prints nothing on stderr, neither tesseract's diagnostics nor leptonica's errors", async () => {
    const { stdout, stderr } = await run('engine');
    expect(stdout).toContain('HARBOUR');
    expect(stderr).toBe('');
  });

  it("leptonica's error shows without the engine (the control)", async () => {
    const { stderr } = await run('control');
    expect(stderr).toMatch(/Error in pixRead/);
  });
});

describe('engine choice', { timeout: 60_000 }, () => {
  it('falls back to the wasm engine when libtesseract is absent, and reads the page the same', async () => {
    // Prepare
    const engine = new OcrEngine({ workers: 1, engine: 'auto', tesseractLibrary: '/nonexistent/libtesseract.so.5' });
    try {
      // Act
      const found = words(await engine.detect(RECEIPTS[0]?.png as Buffer));
      // Assess
      expect(engine.engine).toMatch(/\(wasm\)$/);
      expect(found).toEqual(expect.arrayContaining(['BLUE', 'HERON', 'MARKET']));
    } finally {
      await engine.close();
    }
  });

  it('refuses native when asked for it and it is absent, naming the install command', () => {
    expect(() => new OcrEngine({ engine: 'native', tesseractLibrary: '/nonexistent/libtesseract.so.5' })).toThrow(
      NativeTesseractMissingError,
    );
    expect(() => new OcrEngine({ engine: 'native', tesseractLibrary: '/nonexistent/libtesseract.so.5' })).toThrow(
      /apt-get install -y tesseract-ocr tesseract-ocr-eng/,
    );
  });

  it('reads DOCTRAIN_OCR_ENGINE strictly', () => {
    expect(parseEngineChoice(undefined)).toBe('auto');
    expect(parseEngineChoice(' Native ')).toBe('native');
    expect(() => parseEngineChoice('gpu')).toThrow(/auto, native, wasm/);
  });

  it("groups native tesseract's TSV words into lines in order, keeping each word's box and confidence", () => {
    const tsv = [
      'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
      '4\t1\t1\t1\t1\t0\t10\t5\t90\t12\t-1\t',
      '5\t1\t1\t1\t1\t1\t10\t5\t40\t12\t96.5\tBLUE',
      '5\t1\t1\t1\t1\t2\t60\t5\t40\t12\t91\tHERON',
      '5\t1\t1\t1\t1\t3\t105\t5\t4\t12\t95\t ',
      '5\t1\t1\t1\t2\t1\t10\t30\t30\t12\t88\t8.32',
    ].join('\n');
    expect(readingFromTsv(tsv)).toEqual([
      [
        { text: 'BLUE', confidence: 96.5, bbox: { x0: 10, y0: 5, x1: 50, y1: 17 } },
        { text: 'HERON', confidence: 91, bbox: { x0: 60, y0: 5, x1: 100, y1: 17 } },
      ],
      [{ text: '8.32', confidence: 88, bbox: { x0: 10, y0: 30, x1: 40, y1: 42 } }],
    ]);
  });
});
