/**
 * The two tesseract engines behind the local Textract, one interface: read an upright grayscale page (PGM
 * bytes) with a page segmentation mode and get its lines of words, in tesseract's reading order, with pixel
 * boxes and confidences. ocr.ts decides what to read and turns readings into Textract blocks.
 *
 * - native: Debian's `tesseract` (5.x), one process per page and per core, `OMP_THREAD_LIMIT=1` (one core
 *   each; tesseract's OpenMP threads only fight each other on a busy machine), the page on stdin, TSV out.
 *   About five times the pages/s of the wasm build on the same core (bench/README.md, "OCR").
 * - wasm: tesseract.js, one worker thread per core; runs wherever Node does, so it is the fallback.
 *
 * Both read with the same model, tesseract.js's `eng` 4.0.0_best_int (the native reader unpacks it once next to
 * the npm package): Debian's own `eng` (tessdata_fast) is 15% faster a page but finds fewer words
 * (bench/README.md). DOCTRAIN_TESSDATA_DIR points the native reader at another tessdata folder instead.
 *
 * Which one runs: DOCTRAIN_OCR_ENGINE = `auto` (default: native when `tesseract` answers with version 4 or
 * later and has the `eng` model, else wasm), `native` (an error, naming the install command, when it is
 * absent) or `wasm`. DOCTRAIN_TESSERACT names the binary (default `tesseract` on the PATH).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createWorker, OEM, PSM, type Page, type Worker } from 'tesseract.js';
import { JsonProtocolError } from '../http/json-protocol-server';
import { WorkerPool } from './pool';

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
  read(pgm: Buffer, psm: Psm): Promise<PageReading>;
  close(): Promise<void>;
}

export interface ReaderOptions {
  size: number;
  jobTimeoutMs: number;
  /** Extra tesseract parameters (config file lines / `-c` settings). */
  tesseractParameters: Record<string, string>;
}

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

const probes = new Map<string, { version: string } | { missing: string }>();

/**
 * `tesseract --version`'s version when the binary runs, is 4 or later and has the eng model; else why not.
 * Asked once per binary and process (two short runs of the binary).
 */
export const probeNativeTesseract = (binary: string): { version: string } | { missing: string } => {
  const known = probes.get(binary) ?? askNativeTesseract(binary);
  probes.set(binary, known);
  return known;
};

const askNativeTesseract = (binary: string): { version: string } | { missing: string } => {
  try {
    const version = /tesseract v?(\d+\.\d+(?:\.\d+)?)/i.exec(
      execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }),
    )?.[1];
    if (version === undefined) return { missing: `${binary} --version printed no tesseract version` };
    if (Number(version.split('.')[0]) < 4) return { missing: `${binary} is tesseract ${version}; the LSTM engine needs 4 or later` };
    const langs = execFileSync(binary, ['--list-langs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    if (!langs.split(/\r?\n/).includes('eng')) return { missing: `${binary} has no English model (tesseract-ocr-eng)` };
    return { version };
  } catch (error) {
    return { missing: `${binary} did not run (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
};

/** Tesseract's TSV (level 5 = word) as lines of words, lines keyed by (block, paragraph, line) in order of appearance. */
export const readingFromTsv = (tsv: string): PageReading => {
  const lines = new Map<string, WordReading[]>();
  for (const row of tsv.split('\n').slice(1)) {
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

interface NativeSlot {
  child: ChildProcess | undefined;
}

class NativeReader implements PageReader {
  public readonly engine: string;
  private readonly pool: WorkerPool<NativeSlot>;
  private running = 0;

  private readonly tessdata: string;

  public constructor(
    private readonly binary: string,
    version: string,
    private readonly options: ReaderOptions,
  ) {
    const { dir, model } = nativeTessdata();
    this.tessdata = dir;
    this.engine = `tesseract ${version} (native, ${model})`;
    this.pool = new WorkerPool<NativeSlot>({
      size: options.size,
      jobTimeoutMs: options.jobTimeoutMs,
      create: () => Promise.resolve({ child: undefined }),
      // A job that timed out or failed: its process, if still running, goes with it.
      destroy: (slot) => {
        slot.child?.kill('SIGKILL');
        return Promise.resolve();
      },
    });
  }

  public get size(): number {
    return this.pool.size;
  }

  public get liveWorkers(): number {
    return this.running;
  }

  public read(pgm: Buffer, psm: Psm): Promise<PageReading> {
    const settings = Object.entries(this.options.tesseractParameters).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    return this.pool.run(
      (slot) =>
        new Promise<PageReading>((resolve, reject) => {
          const child = spawn(
            this.binary,
            [
              'stdin',
              'stdout',
              '--tessdata-dir',
              this.tessdata,
              '--oem',
              '1',
              '--psm',
              String(psm),
              '-l',
              'eng',
              '-c',
              'tessedit_create_tsv=1',
              '-c',
              'tessedit_create_txt=0',
              ...settings,
            ],
            {
              env: { ...process.env, OMP_THREAD_LIMIT: '1' },
              stdio: ['pipe', 'pipe', 'pipe'],
            },
          );
          slot.child = child;
          this.running += 1;
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          // A spawn failure emits 'error' and then 'close': the job settles, and the process is counted off, once.
          let settled = false;
          const settle = (outcome: () => void): void => {
            if (settled) return;
            settled = true;
            this.running -= 1;
            slot.child = undefined;
            outcome();
          };
          child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
          child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
          child.on('error', (error) => settle(() => reject(error)));
          child.on('close', (code, signal) =>
            settle(() => {
              if (code === 0) resolve(readingFromTsv(Buffer.concat(out).toString('utf8')));
              else {
                const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' | ');
                reject(new Error(`tesseract exited ${code ?? signal}: ${tail}`));
              }
            }),
          );
          // A process that died before reading all of stdin reports through 'close'.
          child.stdin.on('error', () => undefined);
          child.stdin.end(pgm);
        }),
    );
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
    this.config = Object.entries({ ...options.tesseractParameters, debug_file: '/dev/null' })
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

  public read(pgm: Buffer, psm: Psm): Promise<PageReading> {
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

// ---- choice ------------------------------------------------------------------------------------------

export const parseEngineChoice = (value: string | undefined): OcrEngineChoice => {
  const choice = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(OCR_ENGINES as readonly string[]).includes(choice)) {
    throw new RangeError(`DOCTRAIN_OCR_ENGINE must be one of ${OCR_ENGINES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return choice as OcrEngineChoice;
};

/** The reader the choice names: `auto` takes native when it is usable, else wasm. */
export const createReader = (choice: OcrEngineChoice, binary: string, options: ReaderOptions): PageReader => {
  if (choice === 'wasm') return new WasmReader(options);
  const probe = probeNativeTesseract(binary);
  if ('version' in probe) return new NativeReader(binary, probe.version, options);
  if (choice === 'native')
    throw new NativeTesseractMissingError(`DOCTRAIN_OCR_ENGINE=native, but ${probe.missing}: ${NATIVE_INSTALL_HINT}`);
  return new WasmReader(options);
};
