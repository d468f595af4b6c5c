/**
 * OCR for the local Textract: tesseract.js workers in a pool sized to the machine, one page per job, the
 * result mapped to Textract PAGE/LINE/WORD blocks.
 *
 * Per page: the limits are checked on the header (limits.ts: an oversized image never reaches tesseract),
 * the image is decoded upright and grayscale (preprocess.ts), and recognised with page segmentation mode 6
 * (one uniform block of text: what receipts and most scanned pages are); a page that yields no word is read
 * again as sparse text (mode 11), which finds text that mode 6 loses on pages with scattered fragments,
 * photos or large margins; a reading that looks like garbage (see `plausibility`) is tried again with the page
 * turned by 90, 180 and 270 degrees, since Textract reads pages in any rotation; a page with small text is read
 * again enlarged (SMALL_TEXT_PX). Every page with words is then read a second time with automatic layout analysis
 * (mode 3) and the two readings are merged line by line, keeping the more confident one (merge-readings.ts): on
 * the 200 SROIE receipts this took normalised word recall from 0.744 to 0.754 and found the shop names mode 6
 * drops, for twice the OCR time. A job that fails or hangs destroys its worker (pool.ts), so no request can break
 * the requests after it. Tesseract's diagnostics ("Line cannot be recognized", "Image too small to scale")
 * are sent to /dev/null inside the wasm core, and leptonica's ("Error in boxClipToRectangle") are filtered in
 * the worker thread (tesseract-worker.cjs): nothing reaches the terminal.
 *
 * Options (or environment): workers (DOCTRAIN_OCR_WORKERS, default os.availableParallelism()), pageTimeoutMs
 * (DOCTRAIN_OCR_PAGE_TIMEOUT_MS, default 120 s).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorker, OEM, PSM, type Bbox, type Page, type Worker } from 'tesseract.js';
import { JsonProtocolError } from '../http/json-protocol-server';
import type { Point, TextractBlock } from './blocks';
import { checkImageLimits } from './limits';
import { meanConfidence, mergeReadings } from './merge-readings';
import { decodePage, fitScale, toGrayPgm, type DecodedPage, type QuarterTurns } from './preprocess';
import { PoolClosedError, PoolJobTimeoutError, WorkerPool } from './pool';

export interface OcrEngineOptions {
  /** tesseract.js workers (each one thread, one page at a time). Default: DOCTRAIN_OCR_WORKERS or the CPU count. */
  workers?: number;
  /** A page still being recognised after this long fails (BadDocumentException) and its worker is replaced. */
  pageTimeoutMs?: number;
  /**
   * Extra tesseract parameters set when a worker starts (tesseract config file lines). For diagnostics and
   * tests; the engine's own `debug_file` cannot be overridden.
   */
  tesseractParameters?: Record<string, string>;
}

const DEFAULT_PAGE_TIMEOUT_MS = 120_000;
const PRIMARY_PSM = PSM.SINGLE_BLOCK;
const FALLBACK_PSM = PSM.SPARSE_TEXT;
/** The second reading of every page, merged line by line with the first (merge-readings.ts). */
const SECOND_PSM = PSM.AUTO;

/**
 * How plausible a reading is: the mean word confidence, scaled down when the mean word has fewer than 3
 * letters or digits (text read sideways comes back as a scatter of 1-2 character "words", sometimes with
 * middling confidence). Upright real receipts score 51-79 here; sideways or upside-down ones 19-39. Below
 * TURN_BELOW_SCORE the page is also read turned by 90, 180 and 270 degrees, and a turn replaces the reading
 * when it scores at least TURN_MIN_GAIN more.
 */
const plausibility = (blocks: readonly TextractBlock[]): number => {
  const words = blocks.filter((b) => b.BlockType === 'WORD');
  if (words.length === 0) return 0;
  const meanLength = words.reduce((sum, w) => sum + (w.Text ?? '').replace(/[^\p{L}\p{N}]/gu, '').length, 0) / words.length;
  return meanConfidence(blocks) * Math.min(1, meanLength / 3);
};
const TURN_BELOW_SCORE = 45;
/**
 * Tesseract reads best at an x-height of about 20 px; on receipts scanned at 150 dpi or less its word boxes
 * are 10-15 px high. A page whose median word box is lower than SMALL_TEXT_PX is read again enlarged so that
 * it reaches UPSCALED_TEXT_PX (at most MAX_UPSCALE times), and the more confident reading is kept. Measured
 * on the first 40 SROIE receipts (bench:ocr): exact word recall 0.507 -> 0.529, normalised 0.729 -> 0.749,
 * CER 0.368 -> 0.370, at 0.71x the pages/s. Re-reading every page below 24 px at 36 px cost 3x the time
 * for a smaller gain.
 */
const SMALL_TEXT_PX = 16;
const UPSCALED_TEXT_PX = 26;
const MAX_UPSCALE = 3;
const TURN_MIN_GAIN = 15;

const positiveInteger = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
};

const langPath = (): string => {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
};

/** The worker thread script: tesseract.js's own, with leptonica's stderr messages filtered (tesseract-worker.cjs). */
const WORKER_PATH = fileURLToPath(new URL('./tesseract-worker.cjs', import.meta.url));

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** A point of the turned image (page ratios) back in the page as decoded (the inverse of `turns` clockwise quarter turns). */
const unturn = (u: number, v: number, turns: QuarterTurns): Point => {
  if (turns === 1) return { X: v, Y: 1 - u };
  if (turns === 2) return { X: 1 - u, Y: 1 - v };
  if (turns === 3) return { X: 1 - v, Y: u };
  return { X: u, Y: v };
};

/**
 * Textract geometry of a pixel box found on the (possibly turned) `width` x `height` OCR image, in the page as
 * decoded: the polygon starts at the text's own top-left corner and goes clockwise around the text, so on a
 * page read turned it is rotated as Textract reports rotated text; the bounding box is axis-aligned.
 */
const geometry = (bbox: Bbox, width: number, height: number, turns: QuarterTurns): TextractBlock['Geometry'] => {
  const left = clamp01(bbox.x0 / width);
  const top = clamp01(bbox.y0 / height);
  const right = clamp01(bbox.x1 / width);
  const bottom = clamp01(bbox.y1 / height);
  const polygon = [unturn(left, top, turns), unturn(right, top, turns), unturn(right, bottom, turns), unturn(left, bottom, turns)];
  const xs = polygon.map((p) => p.X);
  const ys = polygon.map((p) => p.Y);
  return {
    BoundingBox: {
      Width: Math.max(...xs) - Math.min(...xs),
      Height: Math.max(...ys) - Math.min(...ys),
      Left: Math.min(...xs),
      Top: Math.min(...ys),
    },
    Polygon: polygon,
  };
};

/** Tesseract's page (pixel boxes on a `width` x `height` image) as Textract blocks: PAGE, then LINEs, then WORDs. */
const toBlocks = (data: Page, width: number, height: number, turns: QuarterTurns, pageNumber: number): TextractBlock[] => {
  const lines: TextractBlock[] = [];
  const words: TextractBlock[] = [];
  for (const block of data.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const lineWords = line.words.filter((w) => w.text.trim().length > 0);
        if (lineWords.length === 0) continue;
        const wordBlocks: TextractBlock[] = lineWords.map((w) => ({
          BlockType: 'WORD',
          Id: randomUUID(),
          Confidence: w.confidence,
          Text: w.text.trim(),
          TextType: 'PRINTED',
          Geometry: geometry(w.bbox, width, height, turns),
          Page: pageNumber,
        }));
        const x0 = Math.min(...lineWords.map((w) => w.bbox.x0));
        const y0 = Math.min(...lineWords.map((w) => w.bbox.y0));
        const x1 = Math.max(...lineWords.map((w) => w.bbox.x1));
        const y1 = Math.max(...lineWords.map((w) => w.bbox.y1));
        lines.push({
          BlockType: 'LINE',
          Id: randomUUID(),
          Confidence: meanConfidence(wordBlocks),
          Text: wordBlocks.map((w) => w.Text).join(' '),
          Geometry: geometry({ x0, y0, x1, y1 }, width, height, turns),
          Relationships: [{ Type: 'CHILD', Ids: wordBlocks.map((w) => w.Id) }],
          Page: pageNumber,
        });
        words.push(...wordBlocks);
      }
    }
  }
  const page: TextractBlock = {
    BlockType: 'PAGE',
    Id: randomUUID(),
    Geometry: geometry({ x0: 0, y0: 0, x1: width, y1: height }, width, height, 0),
    Page: pageNumber,
    ...(lines.length > 0 ? { Relationships: [{ Type: 'CHILD' as const, Ids: lines.map((l) => l.Id) }] } : {}),
  };
  return [page, ...lines, ...words];
};

const wordCount = (blocks: readonly TextractBlock[]): number => blocks.filter((b) => b.BlockType === 'WORD').length;

/**
 * Median height, in pixels of the page as decoded, of the words of a reading made with the page turned by
 * `turns` (the text's height lies along the page's width when the page was read sideways): pass the page's
 * height for an even number of turns, its width for an odd one.
 */
const medianTextHeight = (blocks: readonly TextractBlock[], acrossPx: number): number => {
  const heights = blocks
    .filter((b) => b.BlockType === 'WORD' && (b.Text ?? '').length >= 2)
    .map((b) => {
      const [p0, , , p3] = b.Geometry.Polygon;
      // Top-left to bottom-left of the word: its height whatever the turn.
      return Math.hypot((p3?.X ?? 0) - (p0?.X ?? 0), (p3?.Y ?? 0) - (p0?.Y ?? 0));
    })
    .sort((a, b) => a - b);
  return (heights[Math.floor(heights.length / 2)] ?? 0) * acrossPx;
};

interface PooledWorker {
  worker: Worker;
  psm: PSM | undefined;
}

export class OcrEngine {
  private readonly pool: WorkerPool<PooledWorker>;
  private readonly config: string;

  public constructor(options: OcrEngineOptions = {}) {
    const size = options.workers ?? positiveInteger(process.env['DOCTRAIN_OCR_WORKERS']) ?? os.availableParallelism();
    const pageTimeoutMs = options.pageTimeoutMs ?? positiveInteger(process.env['DOCTRAIN_OCR_PAGE_TIMEOUT_MS']) ?? DEFAULT_PAGE_TIMEOUT_MS;
    // Tesseract writes its diagnostics (tprintf) to `debug_file`, else to stderr; /dev/null exists in the
    // wasm core's file system.
    this.config = Object.entries({ ...options.tesseractParameters, debug_file: '/dev/null' })
      .map(([k, v]) => `${k} ${v}`)
      .join('\n');
    this.pool = new WorkerPool<PooledWorker>({
      size,
      jobTimeoutMs: pageTimeoutMs,
      create: () => this.startWorker(),
      destroy: async ({ worker }) => {
        await worker.terminate();
      },
    });
  }

  /** How many tesseract workers this engine runs at most. */
  public get workers(): number {
    return this.pool.size;
  }

  /** Workers alive now (started and not destroyed). */
  public get liveWorkers(): number {
    return this.pool.liveWorkers;
  }

  private async startWorker(): Promise<PooledWorker> {
    try {
      const worker = await createWorker(
        'eng',
        OEM.LSTM_ONLY,
        {
          langPath: langPath(),
          workerPath: WORKER_PATH,
          gzip: true,
          cacheMethod: 'none',
          logger: () => undefined,
          // Without a handler tesseract.js rethrows job errors as uncaught exceptions; the job promise rejects anyway.
          errorHandler: () => undefined,
        },
        this.config,
      );
      return { worker, psm: undefined };
    } catch (error) {
      throw new JsonProtocolError('InternalServerError', `The OCR engine could not start: ${String(error)}`, 500);
    }
  }

  /** OCR one single-page PNG or JPEG document (DetectDocumentText's `Document.Bytes`); PDF/TIFF pages are decoded first (pages.ts). */
  public detect(bytes: Uint8Array): Promise<TextractBlock[]> {
    return this.recognizePage(bytes, 1);
  }

  /**
   * OCR one raster page (PNG or JPEG bytes) into Textract blocks carrying `Page: pageNumber` (PAGE first,
   * then LINEs, then WORDs, as Textract orders them). For multi-page documents, called once per decoded page.
   */
  public async recognizePage(imageBytes: Uint8Array, pageNumber: number): Promise<TextractBlock[]> {
    if (!Number.isInteger(pageNumber) || pageNumber < 1) throw new RangeError(`page number must be >= 1, got ${pageNumber}`);
    checkImageLimits(imageBytes);
    const page = await decodePage(imageBytes);
    const scale = fitScale(page.width, page.height);
    let best = await this.recognize(page, PRIMARY_PSM, pageNumber, scale);
    let turns: QuarterTurns = 0;
    if (wordCount(best) === 0) {
      const sparse = await this.recognize(page, FALLBACK_PSM, pageNumber, scale);
      if (wordCount(sparse) > 0) best = sparse;
    }
    if (wordCount(best) > 0 && plausibility(best) < TURN_BELOW_SCORE) {
      // Garbage-level reading: the page may lie sideways or upside down with nothing saying so.
      const candidates = [1, 2, 3] as const;
      const turned = await Promise.all(candidates.map((t) => this.recognize(page, PRIMARY_PSM, pageNumber, scale, t)));
      turned.forEach((candidate, i) => {
        if (plausibility(candidate) >= plausibility(best) + TURN_MIN_GAIN) {
          best = candidate;
          turns = candidates[i] ?? 0;
        }
      });
    }
    // Small text: read again enlarged, and keep the more confident reading.
    let bestScale = scale;
    const textPx = medianTextHeight(best, turns % 2 === 0 ? page.height : page.width) * scale;
    if (wordCount(best) > 0 && textPx < SMALL_TEXT_PX) {
      const up = fitScale(page.width, page.height, Math.min(MAX_UPSCALE, (scale * UPSCALED_TEXT_PX) / textPx));
      if (up >= scale * 1.25) {
        const enlarged = await this.recognize(page, PRIMARY_PSM, pageNumber, up, turns);
        if (meanConfidence(enlarged) >= meanConfidence(best)) {
          best = enlarged;
          bestScale = up;
        }
      }
    }
    // Headings in another font or size: read again with layout analysis, keep the more confident line.
    if (wordCount(best) === 0) return best;
    return mergeReadings(best, await this.recognize(page, SECOND_PSM, pageNumber, bestScale, turns));
  }

  private async recognize(
    page: DecodedPage,
    psm: PSM,
    pageNumber: number,
    scale: number,
    turns: QuarterTurns = 0,
  ): Promise<TextractBlock[]> {
    const { pgm, width, height } = toGrayPgm(page, scale, turns);
    let data: Page;
    try {
      data = await this.pool.run(async (pooled) => {
        if (pooled.psm !== psm) {
          await pooled.worker.setParameters({ tessedit_pageseg_mode: psm });
          pooled.psm = psm;
        }
        return (await pooled.worker.recognize(pgm, {}, { blocks: true, text: false })).data;
      });
    } catch (error) {
      if (error instanceof JsonProtocolError) throw error;
      if (error instanceof PoolClosedError) throw new JsonProtocolError('InternalServerError', 'Textract is shutting down', 500);
      if (error instanceof PoolJobTimeoutError) {
        throw new JsonProtocolError('BadDocumentException', `Unable to process the document: OCR did not finish (${error.message})`);
      }
      // Leptonica or tesseract gave up on the pixels; the worker that saw it has been replaced.
      throw new JsonProtocolError('BadDocumentException', `Unable to read the document image: ${String(error)}`);
    }
    return toBlocks(data, width, height, turns, pageNumber);
  }

  /** Let queued pages finish, then stop every worker. */
  public close(): Promise<void> {
    return this.pool.close();
  }
}
