/**
 * The two tesseract engines behind the local Textract, one interface: read an upright grayscale page
 * (pixels) with a page segmentation mode and get its lines of words, in tesseract's reading order, with pixel
 * boxes and confidences. ocr.ts decides what to read and turns readings into Textract blocks.
 *
 * - native: Debian's libtesseract (5.x, installed with `tesseract-ocr`) in this process (libtesseract.ts):
 *   one loaded model per core, each reading one page at a time on one thread, the pixels handed over as
 *   they are, TSV out. About five times the pages/s of the wasm build on the same core (bench/README.md, "OCR").
 * - wasm: tesseract.js, one worker thread per core; runs wherever Node does, so it is the fallback.
 *
 * Both read with the same model, tesseract.js's `eng` 4.0.0_best_int (the native reader unpacks it once next to
 * the npm package): Debian's own `eng` (tessdata_fast) is 15% faster a page but finds fewer words
 * (bench/README.md). DOCTRAIN_TESSDATA_DIR points the native reader at another tessdata folder instead.
 *
 * Which one runs: DOCTRAIN_OCR_ENGINE = `auto` (default: native when libtesseract loads and is version 4 or
 * later, else wasm), `native` (an error, naming the install command, when it is absent) or `wasm`.
 * DOCTRAIN_LIBTESSERACT names the library (default `libtesseract.so.5`, found where the system's loader looks).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createWorker, OEM, PSM, type Page, type Worker } from 'tesseract.js';
import { JsonProtocolError } from '../http/json-protocol-server';
import { loadLibtesseract, TesseractDeadlineError, TesseractHandle, type Libtesseract } from './libtesseract';
import type { GrayImage } from './page-cleanup';
import { PoolJobTimeoutError, WorkerPool } from './pool';

/** Tesseract page segmentation modes the engine uses: 3 automatic layout, 6 one uniform block, 11 sparse text. */
export type Psm = 3 | 6 | 11;

export interface WordReading {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

/** A page as read: its lines in reading order, each a list of words (none empty). */
export type PageReading = WordReading[][];

export interface PageReader {
  /** What read the page, e.g. `tesseract 5.3.0 (native, eng 4.0.0_best_int)`: reported on the run (the OCR engine of each document). */
  readonly engine: string;
  /** Pages read at once at most. */
  readonly size: number;
  /** Workers alive now (wasm: started and not destroyed; native: processes running). */
  readonly liveWorkers: number;
  read(image: GrayImage, psm: Psm): Promise<PageReading>;
  close(): Promise<void>;
}

export interface ReaderOptions {
  size: number;
  jobTimeoutMs: number;
  /** Extra tesseract parameters (config file lines / `-c` settings). */
  tesseractParameters: Record<string, string>;
}

/**
 * Parameters both readers set. Tesseract's inverted retry of every unsure line (`tessedit_do_invert`) is off:
 * white text on dark is turned upright on the pixels before reading (dark-bands.ts), and the retry cost about
 * 6-16% of every page's time for the few lines it was for (bench:ocr, first 40 receipts: 0.987 -> 1.05
 * pages/s in one session, 1.206 -> 1.398 in another; normalised recall 0.7707 -> 0.7684; bench/README.md, "OCR").
 */
const TESSERACT_DEFAULTS: Record<string, string> = { tessedit_do_invert: '0' };

export const OCR_ENGINES = ['auto', 'native', 'wasm'] as const;
export type OcrEngineChoice = (typeof OCR_ENGINES)[number];

export class NativeTesseractMissingError extends Error {
  public override readonly name = 'NativeTesseractMissingError' as const;
}

const NATIVE_INSTALL_HINT =
  'install it (Debian/Ubuntu: apt-get install -y tesseract-ocr tesseract-ocr-eng; npm test and npm run demo do this)';

// ---- the model ---------------------------------------------------------------------------------------

const MODEL = '4.0.0_best_int';

const langPath = (): string => {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), MODEL);
};

/** The tessdata folder the native reader uses: the wasm engine's model, unpacked once (atomically) beside its .gz. */
const nativeTessdata = (): { dir: string; model: string } => {
  const override = process.env['DOCTRAIN_TESSDATA_DIR'];
  if (override) return { dir: override, model: override };
  const dir = langPath();
  const file = path.join(dir, 'eng.traineddata');
  if (!existsSync(file)) {
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, gunzipSync(readFileSync(`${file}.gz`)));
    renameSync(staging, file);
  }
  return { dir, model: `eng ${MODEL}` };
};

// ---- native ------------------------------------------------------------------------------------------

/**
 * libtesseract's version when the library loads, is 4 or later and the model is there; else why not.
 * Loaded once per library file and process (libtesseract.ts).
 */
export const probeNativeTesseract = (library: string): { version: string } | { missing: string } => {
  const loaded = loadLibtesseract(library);
  return 'version' in loaded ? { version: loaded.version } : loaded;
};

/** Tesseract's TSV (level 5 = word) as lines of words, lines keyed by (block, paragraph, line) in order of appearance. */
export const readingFromTsv = (tsv: string): PageReading => {
  const lines = new Map<string, WordReading[]>();
  for (const row of tsv.split('\n')) {
    const cols = row.split('\t');
    if (cols[0] !== '5' || cols.length < 12) continue;
    const text = cols.slice(11).join('\t').trim();
    if (text.length === 0) continue;
    const [left, top, width, height, conf] = cols.slice(6, 11).map(Number) as [number, number, number, number, number];
    const key = `${cols[2]}.${cols[3]}.${cols[4]}`;
    const line = lines.get(key) ?? [];
    line.push({ text, confidence: Math.max(0, conf), bbox: { x0: left, y0: top, x1: left + width, y1: top + height } });
    lines.set(key, line);
  }
  return [...lines.values()];
};

class NativeReader implements PageReader {
  public readonly engine: string;
  private readonly pool: WorkerPool<TesseractHandle>;
  private readonly deadlineMs: number;

  public constructor(api: Libtesseract, version: string, options: ReaderOptions) {
    const { dir, model } = nativeTessdata();
    this.engine = `tesseract ${version} (native, ${model})`;
    // Tesseract's own deadline stops the page a little before the pool gives up on it, so the handle is
    // free again rather than left reading.
    this.deadlineMs = Math.max(1, Math.floor(options.jobTimeoutMs * 0.9));
    this.pool = new WorkerPool<TesseractHandle>({
      size: options.size,
      jobTimeoutMs: options.jobTimeoutMs,
      create: () => {
        try {
          return Promise.resolve(
            new TesseractHandle(api, dir, 'eng', { ...TESSERACT_DEFAULTS, ...options.tesseractParameters, debug_file: '/dev/null' }),
          );
        } catch (error) {
          return Promise.reject(new JsonProtocolError('InternalServerError', `The OCR engine could not start: ${String(error)}`, 500));
        }
      },
      destroy: (handle) => {
        handle.close();
        return Promise.resolve();
      },
    });
  }

  public get size(): number {
    return this.pool.size;
  }

  public get liveWorkers(): number {
    return this.pool.liveWorkers;
  }

  public read(image: GrayImage, psm: Psm): Promise<PageReading> {
    return this.pool.run(async (handle) => {
      try {
        return readingFromTsv(await handle.read(image.pixels, image.width, image.height, psm, this.deadlineMs));
      } catch (error) {
        // Tesseract's own deadline, a little before the pool's: the same failure as a page that hangs.
        if (error instanceof TesseractDeadlineError) throw new PoolJobTimeoutError(error.message, { cause: error });
        throw error;
      }
    });
  }

  public close(): Promise<void> {
    return this.pool.close();
  }
}

// ---- wasm --------------------------------------------------------------------------------------------

/** The worker thread script: tesseract.js's own, with leptonica's stderr messages filtered (tesseract-worker.cjs). */
const WORKER_PATH = fileURLToPath(new URL('./tesseract-worker.cjs', import.meta.url));

const WASM_PSM: Record<Psm, PSM> = { 3: PSM.AUTO, 6: PSM.SINGLE_BLOCK, 11: PSM.SPARSE_TEXT };

interface PooledWorker {
  worker: Worker;
  psm: PSM | undefined;
}

const readingFromPage = (data: Page): PageReading =>
  (data.blocks ?? []).flatMap((block) =>
    block.paragraphs.flatMap((paragraph) =>
      paragraph.lines
        .map((line) =>
          line.words
            .filter((w) => w.text.trim().length > 0)
            .map((w) => ({
              text: w.text.trim(),
              confidence: w.confidence,
              bbox: { x0: w.bbox.x0, y0: w.bbox.y0, x1: w.bbox.x1, y1: w.bbox.y1 },
            })),
        )
        .filter((words) => words.length > 0),
    ),
  );

class WasmReader implements PageReader {
  public readonly engine: string;
  private readonly pool: WorkerPool<PooledWorker>;
  private readonly config: string;

  public constructor(options: ReaderOptions) {
    const require = createRequire(import.meta.url);
    const { version } = require('tesseract.js/package.json') as { version: string };
    this.engine = `tesseract.js ${version} (wasm)`;
    // Tesseract writes its diagnostics (tprintf) to `debug_file`, else to stderr; /dev/null exists in the
    // wasm core's file system.
    this.config = Object.entries({ ...TESSERACT_DEFAULTS, ...options.tesseractParameters, debug_file: '/dev/null' })
      .map(([k, v]) => `${k} ${v}`)
      .join('\n');
    this.pool = new WorkerPool<PooledWorker>({
      size: options.size,
      jobTimeoutMs: options.jobTimeoutMs,
      create: () => this.startWorker(),
      destroy: async ({ worker }) => {
        await worker.terminate();
      },
    });
  }

  public get size(): number {
    return this.pool.size;
  }

  public get liveWorkers(): number {
    return this.pool.liveWorkers;
  }

  private async startWorker(): Promise<PooledWorker> {
    try {
      return { worker: await this.createWorker(), psm: undefined };
    } catch (error) {
      throw new JsonProtocolError('InternalServerError', `The OCR engine could not start: ${String(error)}`, 500);
    }
  }

  private createWorker(): Promise<Worker> {
    return createWorker(
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
  }

  public read(image: GrayImage, psm: Psm): Promise<PageReading> {
    const pgm = toPgm(image);
    return this.pool.run(async (pooled) => {
      const mode = WASM_PSM[psm];
      if (pooled.psm !== mode) {
        await pooled.worker.setParameters({ tessedit_pageseg_mode: mode });
        pooled.psm = mode;
      }
      return readingFromPage((await pooled.worker.recognize(pgm, {}, { blocks: true, text: false })).data);
    });
  }

  public close(): Promise<void> {
    return this.pool.close();
  }
}

/** Grayscale pixels as binary PGM (P5) bytes: what tesseract.js reads. */
const toPgm = ({ width, height, pixels }: GrayImage): Buffer => {
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const pgm = Buffer.allocUnsafe(header.length + width * height);
  header.copy(pgm, 0);
  pgm.set(pixels, header.length);
  return pgm;
};

// ---- choice ------------------------------------------------------------------------------------------

export const parseEngineChoice = (value: string | undefined): OcrEngineChoice => {
  const choice = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(OCR_ENGINES as readonly string[]).includes(choice)) {
    throw new RangeError(`DOCTRAIN_OCR_ENGINE must be one of ${OCR_ENGINES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return choice as OcrEngineChoice;
};

/** The reader the choice names: `auto` takes native when it is usable, else wasm. */
export const createReader = (choice: OcrEngineChoice, library: string, options: ReaderOptions): PageReader => {
  if (choice === 'wasm') return new WasmReader(options);
  const loaded = loadLibtesseract(library);
  if ('version' in loaded) return new NativeReader(loaded.api, loaded.version, options);
  if (choice === 'native')
    throw new NativeTesseractMissingError(`DOCTRAIN_OCR_ENGINE=native, but ${loaded.missing}: ${NATIVE_INSTALL_HINT}`);
  return new WasmReader(options);
};
