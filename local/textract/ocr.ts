/**
 * OCR for the local Textract: tesseract (native where installed, else tesseract.js: readers.ts) reading pages
 * side by side, as many at once as the process has cores (cpu-budget.ts), the result mapped to Textract
 * PAGE/LINE/WORD blocks.
 *
 * Per page: the limits are checked on the header (limits.ts: an oversized image never reaches tesseract),
 * the image is decoded upright and grayscale (preprocess.ts), and recognised with page segmentation mode 6
 * (one uniform block of text: what receipts and most scanned pages are); a page that yields no word is read
 * again as sparse text (mode 11), which finds text that mode 6 loses on pages with scattered fragments,
 * photos or large margins; a reading that looks like garbage (see `plausibility`) is tried again with the page
 * turned by 90, 180 and 270 degrees, since Textract reads pages in any rotation; a page with small text is read
 * enlarged (SMALL_TEXT_PX: seen on its pixels before the first reading, text-height.ts, or in that reading).
 * A page whose reading shows the signs of it (reading-signs.ts: low-confidence lines, no words in the heading
 * band, a noise-like reading) is then read a second time with automatic layout analysis (mode 3) and the two
 * readings are merged line by line, keeping the more confident one (merge-readings.ts), which finds the shop
 * names mode 6 drops; where the signs are an empty heading band or mostly unsure lines, only those rows are
 * read again (row-bands.ts: the heading band, each unsure line, stacked on white). Before the turns, a page
 * whose reading is noise or gives little text (reading-signs.ts `wantsCleanup`, on the measures of src/textract/reading-quality.ts)
 * is cleaned up (page-cleanup.ts: dark border painted out, background flattened, contrast stretched on the
 * paper; then, if still noise, binarised with a local threshold) and read again; the better reading by the
 * same measures wins, and the later reads of the page (turns, enlarged, second reading) use its pixels.
 * A job that fails or hangs destroys its worker
 * (pool.ts), so no request can break the requests after it. Tesseract's diagnostics never reach the terminal
 * (wasm: `debug_file` /dev/null and leptonica's messages filtered in tesseract-worker.cjs; native: stderr kept
 * for the error of a failed page).
 *
 * Options (or environment): engine (DOCTRAIN_OCR_ENGINE: auto, native, wasm), workers (DOCTRAIN_OCR_WORKERS, default
 * the CPU budget), secondReading (DOCTRAIN_OCR_SECOND_READING: auto, always, never), cleanup
 * (DOCTRAIN_OCR_CLEANUP: auto, always, never), pageTimeoutMs
 * (DOCTRAIN_OCR_PAGE_TIMEOUT_MS, default 120 s).
 */
import { randomUUID } from 'node:crypto';
import { JsonProtocolError } from '../http/json-protocol-server';
import type { Point, TextractBlock } from './blocks';
import { cpuBudget } from './cpu-budget';
import { checkImageLimits } from './limits';
import { meanConfidence, mergeReadings } from './merge-readings';
import { compareReadings, isNoise, type ReadingMeasures } from '../../src/textract/reading-quality';
import {
  parseCleanupMode,
  parseSecondReadingMode,
  plausibility,
  readingMeasures,
  readingSigns,
  wantsCleanup,
  secondReadingOf,
  type CleanupMode,
  type ReadingSigns,
  type SecondReadingMode,
} from './reading-signs';
import { CLEANUP_VARIANTS, type CleanupVariant, type GrayImage } from './page-cleanup';
import { DEFAULT_LIBRARY } from './libtesseract';
import { decodePage, fitScale, toGray, type DecodedPage, type QuarterTurns } from './preprocess';
import { estimateTextHeight } from './text-height';
import { bandShare, bandsToReread, MOST_OF_THE_PAGE, stackBands, type RowBand } from './row-bands';
import { PoolClosedError, PoolJobTimeoutError } from './pool';
import { createReader, parseEngineChoice, type OcrEngineChoice, type PageReader, type PageReading, type Psm } from './readers';

export interface OcrEngineOptions {
  /** Pages read at once (each one thread). Default: DOCTRAIN_OCR_WORKERS or the cores this process may use (cpu-budget.ts). */
  workers?: number;
  /** Which tesseract (readers.ts). Default: DOCTRAIN_OCR_ENGINE or `auto` (native where installed, else wasm). */
  engine?: OcrEngineChoice;
  /** The native library (libtesseract.ts). Default: DOCTRAIN_LIBTESSERACT or `libtesseract.so.5` where the loader finds it. */
  tesseractLibrary?: string;
  /** A page still being recognised after this long fails (BadDocumentException) and its worker is replaced. */
  pageTimeoutMs?: number;
  /**
   * Extra tesseract parameters set when a worker starts (tesseract config file lines). For diagnostics and
   * tests; the engine's own `debug_file` cannot be overridden.
   */
  tesseractParameters?: Record<string, string>;
  /** When to read a page a second time (reading-signs.ts). Default: DOCTRAIN_OCR_SECOND_READING or `auto`. */
  secondReading?: SecondReadingMode;
  /** When to clean a page up and read it again (reading-signs.ts). Default: DOCTRAIN_OCR_CLEANUP or `auto`. */
  cleanup?: CleanupMode;
  /** Called once a page is read: its first reading's signs, and the first and merged readings when it was read twice. */
  onPage?: (page: PageOutcome) => void;
}

export interface PageOutcome {
  signs: ReadingSigns;
  first: TextractBlock[];
  /** The merged reading, when the page was read a second time. */
  merged?: TextractBlock[];
  /**
   * When the page was cleaned up and read again: the reading before and the better reading after (the same
   * blocks when no clean-up variant won), their measures, and the variant that won.
   */
  cleanup?: {
    before: TextractBlock[];
    after: TextractBlock[];
    measuresBefore: ReadingMeasures;
    measuresAfter: ReadingMeasures;
    won?: CleanupVariant;
  };
}

const DEFAULT_PAGE_TIMEOUT_MS = 120_000;
const PRIMARY_PSM: Psm = 6;
const FALLBACK_PSM: Psm = 11;
/** The second reading, merged line by line with the first (merge-readings.ts). */
const SECOND_PSM: Psm = 3;

/** Below this plausibility (reading-signs.ts) the page is also read turned by 90, 180 and 270 degrees, and a turn
 * replaces the reading when it scores at least TURN_MIN_GAIN more. */
const TURN_BELOW_SCORE = 45;
/**
 * Tesseract reads best at an x-height of about 20 px; on receipts scanned at 150 dpi or less its word boxes
 * are 10-15 px high. A page whose text, measured on its pixels before any reading (text-height.ts), is
 * lower than SMALL_TEXT_PX is read enlarged from the start, so that it reaches UPSCALED_TEXT_PX (at most
 * MAX_UPSCALE times); a page whose first reading still finds its words that small (the pixels said nothing,
 * or too little) is read again enlarged and the more confident reading is kept. Measured on the first 40
 * SROIE receipts (bench:ocr, native): reading enlarged only after a first reading, 26 px: normalised word
 * recall 0.755 at 1.01 pages/s; enlarged from the pixels at 26 px: 0.767 at 0.91 pages/s; at 20 px: 0.771
 * at 0.98 pages/s (one reading fewer on each enlarged page, a larger one). Re-reading every page below
 * 24 px at 36 px cost 3x the time for a smaller gain.
 */
const SMALL_TEXT_PX = 16;
const UPSCALED_TEXT_PX = 20;
const MAX_UPSCALE = 3;
const TURN_MIN_GAIN = 15;

/** The scale at which text `textPx` high at `scale` reaches UPSCALED_TEXT_PX (at most MAX_UPSCALE, within
 * MAX_OCR_PIXELS); `scale` itself when that enlarges by less than a quarter. */
const enlargedScale = (page: DecodedPage, scale: number, textPx: number): number => {
  const up = fitScale(page.width, page.height, Math.min(MAX_UPSCALE, (scale * UPSCALED_TEXT_PX) / textPx));
  return up >= scale * 1.25 ? up : scale;
};

const positiveInteger = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
};

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
const geometry = (
  bbox: { x0: number; y0: number; x1: number; y1: number },
  width: number,
  height: number,
  turns: QuarterTurns,
): TextractBlock['Geometry'] => {
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

/** A reading (pixel boxes on a `width` x `height` image) as Textract blocks: PAGE, then LINEs, then WORDs. */
const toBlocks = (reading: PageReading, width: number, height: number, turns: QuarterTurns, pageNumber: number): TextractBlock[] => {
  const lines: TextractBlock[] = [];
  const words: TextractBlock[] = [];
  for (const lineWords of reading) {
    if (lineWords.length === 0) continue;
    const wordBlocks: TextractBlock[] = lineWords.map((w) => ({
      BlockType: 'WORD',
      Id: randomUUID(),
      Confidence: w.confidence,
      Text: w.text,
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

/**
 * A page's renderings for tesseract (preprocess.ts `toGray`: scaled, turned, cleaned up, dark bands inverted),
 * each made once: the text-height estimate and the first reading share one, and the second reading reads the
 * pixels of the reading it is merged with.
 */
class Renderings {
  private readonly made = new Map<string, GrayImage>();

  public constructor(public readonly page: DecodedPage) {}

  public get(scale: number, turns: QuarterTurns = 0, cleanup?: CleanupVariant): GrayImage {
    const key = `${scale}:${turns}:${cleanup ?? ''}`;
    let image = this.made.get(key);
    if (image === undefined) {
      image = toGray(this.page, scale, turns, cleanup);
      this.made.set(key, image);
    }
    return image;
  }
}

export class OcrEngine {
  private readonly reader: PageReader;
  private readonly secondReading: SecondReadingMode;
  private readonly cleanup: CleanupMode;
  private readonly onPage: ((page: PageOutcome) => void) | undefined;
  private readonly counts = {
    pages: 0,
    reads: 0,
    readTwice: 0,
    bandsOnly: 0,
    sparse: 0,
    turned: 0,
    enlarged: 0,
    cleaned: 0,
    cleanupWon: 0,
  };

  public constructor(options: OcrEngineOptions = {}) {
    const size = options.workers ?? positiveInteger(process.env['DOCTRAIN_OCR_WORKERS']) ?? cpuBudget();
    const pageTimeoutMs = options.pageTimeoutMs ?? positiveInteger(process.env['DOCTRAIN_OCR_PAGE_TIMEOUT_MS']) ?? DEFAULT_PAGE_TIMEOUT_MS;
    const choice = options.engine ?? parseEngineChoice(process.env['DOCTRAIN_OCR_ENGINE']);
    const library = options.tesseractLibrary ?? (process.env['DOCTRAIN_LIBTESSERACT'] || DEFAULT_LIBRARY);
    this.reader = createReader(choice, library, {
      size,
      jobTimeoutMs: pageTimeoutMs,
      tesseractParameters: options.tesseractParameters ?? {},
    });
    this.secondReading = options.secondReading ?? parseSecondReadingMode(process.env['DOCTRAIN_OCR_SECOND_READING']);
    this.cleanup = options.cleanup ?? parseCleanupMode(process.env['DOCTRAIN_OCR_CLEANUP']);
    this.onPage = options.onPage;
  }

  /**
   * Pages read so far; how many of them a second time (merged), read again sparse, turned or enlarged, cleaned
   * up and read again, and how many of those kept a cleaned-up reading.
   */
  public get stats(): {
    pages: number;
    /** Readings tesseract made, every kind counted. */
    reads: number;
    readTwice: number;
    /** Of the pages read twice, those whose second reading covered bands of rows alone (row-bands.ts). */
    bandsOnly: number;
    sparse: number;
    turned: number;
    enlarged: number;
    cleaned: number;
    cleanupWon: number;
  } {
    return { ...this.counts };
  }

  /** What reads the pages, e.g. `tesseract 5.3.0 (native, eng 4.0.0_best_int)` or `tesseract.js 7.0.0 (wasm)`. */
  public get engine(): string {
    return this.reader.engine;
  }

  /** How many pages this engine reads at once at most. */
  public get workers(): number {
    return this.reader.size;
  }

  /** Workers alive now (wasm: started and not destroyed; native: processes running). */
  public get liveWorkers(): number {
    return this.reader.liveWorkers;
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
    const renderings = new Renderings(page);
    // Small text, seen on the pixels (text-height.ts): read enlarged from the start, once.
    const fit = fitScale(page.width, page.height);
    const glyphPx = estimateTextHeight(renderings.get(fit));
    const scale = glyphPx !== undefined && glyphPx < SMALL_TEXT_PX ? enlargedScale(page, fit, glyphPx) : fit;
    if (scale > fit) this.counts.enlarged += 1;
    let best = await this.readBlock(renderings, pageNumber, scale);
    let turns: QuarterTurns = 0;
    // Noise or little text: clean the page up and read it again; the better reading wins, and its pixels are
    // the ones read from here on.
    let cleanup: CleanupVariant | undefined;
    let cleanupOutcome: PageOutcome['cleanup'];
    const measuresBefore = readingMeasures(best);
    if (wantsCleanup(measuresBefore, this.cleanup)) {
      this.counts.cleaned += 1;
      const before = best;
      let measures = measuresBefore;
      for (const variant of CLEANUP_VARIANTS) {
        const candidate = await this.readBlock(renderings, pageNumber, scale, variant);
        const candidateMeasures = readingMeasures(candidate);
        if (compareReadings(candidateMeasures, measures) > 0) {
          best = candidate;
          measures = candidateMeasures;
          cleanup = variant;
        }
        if (!isNoise(measures)) break;
      }
      if (cleanup !== undefined) this.counts.cleanupWon += 1;
      cleanupOutcome = {
        before,
        after: best,
        measuresBefore,
        measuresAfter: measures,
        ...(cleanup === undefined ? {} : { won: cleanup }),
      };
    }
    if (wordCount(best) > 0 && plausibility(best) < TURN_BELOW_SCORE) {
      // Garbage-level reading: the page may lie sideways or upside down with nothing saying so.
      this.counts.turned += 1;
      const candidates = [1, 2, 3] as const;
      const turned = await Promise.all(candidates.map((t) => this.recognize(renderings, PRIMARY_PSM, pageNumber, scale, t, cleanup)));
      turned.forEach((candidate, i) => {
        if (plausibility(candidate) >= plausibility(best) + TURN_MIN_GAIN) {
          best = candidate;
          turns = candidates[i] ?? 0;
        }
      });
    }
    // Small text the pixels did not show: read again enlarged, and keep the more confident reading.
    let bestScale = scale;
    const textPx = medianTextHeight(best, turns % 2 === 0 ? page.height : page.width) * scale;
    if (wordCount(best) > 0 && textPx < SMALL_TEXT_PX && scale === fit) {
      const up = enlargedScale(page, scale, textPx);
      if (up > scale) {
        this.counts.enlarged += 1;
        const enlarged = await this.recognize(renderings, PRIMARY_PSM, pageNumber, up, turns, cleanup);
        if (meanConfidence(enlarged) >= meanConfidence(best)) {
          best = enlarged;
          bestScale = up;
        }
      }
    }
    // Headings in another font or size: read again with layout analysis, keep the more confident line; only
    // where the first reading shows the signs of it (reading-signs.ts).
    this.counts.pages += 1;
    const signs = readingSigns(best);
    const cleaned = cleanupOutcome === undefined ? {} : { cleanup: cleanupOutcome };
    // Bands of rows alone (row-bands.ts) where only they called for it, unless they are most of the page; on a
    // page read turned the rows lie elsewhere in the pixels, and the whole page is read.
    const second = wordCount(best) === 0 ? { covers: 'none' as const } : secondReadingOf(signs, this.secondReading);
    if (second.covers === 'none') {
      this.onPage?.({ signs, first: best, ...cleaned });
      return best;
    }
    this.counts.readTwice += 1;
    const rows = renderings.get(bestScale, turns, cleanup).height;
    const bands = second.covers === 'bands' && turns === 0 ? bandsToReread(best, rows, second) : [];
    const partial = bands.length > 0 && bandShare(bands, rows) <= MOST_OF_THE_PAGE;
    if (partial) this.counts.bandsOnly += 1;
    const merged = mergeReadings(
      best,
      await this.recognize(renderings, SECOND_PSM, pageNumber, bestScale, turns, cleanup, partial ? bands : undefined),
    );
    this.onPage?.({ signs, first: best, merged, ...cleaned });
    return merged;
  }

  /** The page read as one block of text, and again as sparse text when that finds no word. */
  private async readBlock(renderings: Renderings, pageNumber: number, scale: number, cleanup?: CleanupVariant): Promise<TextractBlock[]> {
    const block = await this.recognize(renderings, PRIMARY_PSM, pageNumber, scale, 0, cleanup);
    if (wordCount(block) > 0) return block;
    this.counts.sparse += 1;
    const sparse = await this.recognize(renderings, FALLBACK_PSM, pageNumber, scale, 0, cleanup);
    return wordCount(sparse) > 0 ? sparse : block;
  }

  private async recognize(
    renderings: Renderings,
    psm: Psm,
    pageNumber: number,
    scale: number,
    turns: QuarterTurns = 0,
    cleanup?: CleanupVariant,
    bands?: readonly RowBand[],
  ): Promise<TextractBlock[]> {
    const image = renderings.get(scale, turns, cleanup);
    const { width, height } = image;
    // Bands of rows alone, stacked on white (row-bands.ts); their reading's boxes are moved back to the image's rows.
    const stacked = bands === undefined ? undefined : stackBands(image, bands);
    let reading: PageReading;
    this.counts.reads += 1;
    try {
      reading = stacked === undefined ? await this.reader.read(image, psm) : stacked.unstack(await this.reader.read(stacked.image, psm));
    } catch (error) {
      if (error instanceof JsonProtocolError) throw error;
      if (error instanceof PoolClosedError) throw new JsonProtocolError('InternalServerError', 'Textract is shutting down', 500);
      if (error instanceof PoolJobTimeoutError) {
        throw new JsonProtocolError('BadDocumentException', `Unable to process the document: OCR did not finish (${error.message})`);
      }
      // Leptonica or tesseract gave up on the pixels; the worker that saw it has been replaced.
      throw new JsonProtocolError('BadDocumentException', `Unable to read the document image: ${String(error)}`);
    }
    return toBlocks(reading, width, height, turns, pageNumber);
  }

  /** Let queued pages finish, then stop every worker. */
  public close(): Promise<void> {
    return this.reader.close();
  }
}
