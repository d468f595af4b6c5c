/**
 * libtesseract (Debian's `libtesseract5`, installed with `tesseract-ocr`) called in this process through its
 * C API (tesseract/capi.h) with koffi, a prebuilt FFI for Node: the model is loaded once per handle rather
 * than once per page (a `tesseract` process spends about 0.2 s of each page loading it), and the page goes
 * in as grayscale pixels, with no image file written or decoded on the way.
 *
 * Written by hand: no maintained npm package binds libtesseract (node-tesseract-ocr and its kind spawn the
 * CLI; tesseract.js is the wasm build). Only the dozen calls below are bound.
 *
 * Recognition runs on koffi's worker threads (`.async`), so the event loop stays free; one handle reads one
 * page at a time (a TessBaseAPI is not thread-safe), and a deadline (TessMonitorSetDeadlineMSecs) stops a
 * page that runs too long, since a native thread cannot be killed.
 *
 * Tesseract's LSTM runs its gates on up to 4 OpenMP threads per page; with one page per core that only
 * oversubscribes the machine, so OMP_THREAD_LIMIT=1 is set while the library (and with it libgomp, which
 * reads its settings once, when loaded) is loaded, and the environment given back afterwards.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

export class TesseractCallError extends Error {
  public override readonly name = 'TesseractCallError' as const;
}

/** Tesseract gave up on a page that ran past its deadline. */
export class TesseractDeadlineError extends Error {
  public override readonly name = 'TesseractDeadlineError' as const;
}

/** The library's file name by platform (DOCTRAIN_LIBTESSERACT names another). */
export const DEFAULT_LIBRARY = process.platform === 'darwin' ? 'libtesseract.dylib' : 'libtesseract.so.5';

/** An opaque C pointer (koffi's external). */
type Handle = object | null;
type Call<A extends unknown[], R> = ((...args: A) => R) & {
  async: (...args: [...A, (error: unknown, result: R) => void]) => void;
};

/** The bound calls. */
export interface Libtesseract {
  version: Call<[], string>;
  create: Call<[], Handle>;
  init: Call<[Handle, string, string, number], number>;
  setVariable: Call<[Handle, string, string], number>;
  setPageSegMode: Call<[Handle, number], void>;
  setImage: Call<[Handle, Uint8Array, number, number, number, number], void>;
  recognize: Call<[Handle, Handle], number>;
  tsv: Call<[Handle, number], Handle>;
  deleteText: Call<[Handle], void>;
  clear: Call<[Handle], void>;
  end: Call<[Handle], void>;
  destroy: Call<[Handle], void>;
  monitorCreate: Call<[], Handle>;
  monitorDelete: Call<[Handle], void>;
  monitorDeadline: Call<[Handle, number], void>;
}

/** Leptonica's L_SEVERITY_NONE (environ.h). */
const LEPTONICA_SEVERITY_NONE = 6;

const gompLoaded = (): boolean => {
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes('libgomp');
  } catch {
    return false;
  }
};

/** koffi, loaded when first needed: a platform without its prebuilt binary falls back to the wasm engine. */
const requireKoffi = (): typeof Koffi => createRequire(import.meta.url)('koffi') as typeof Koffi;

const bind = (file: string): Libtesseract => {
  const koffi = requireKoffi();
  const before = process.env['OMP_THREAD_LIMIT'];
  process.env['OMP_THREAD_LIMIT'] = '1';
  let lib: Koffi.LibraryHandle;
  try {
    lib = koffi.load(file);
  } finally {
    if (before === undefined) delete process.env['OMP_THREAD_LIMIT'];
    else process.env['OMP_THREAD_LIMIT'] = before;
  }
  const fn = <A extends unknown[], R>(signature: string): Call<A, R> => lib.func(signature);
  // Leptonica (tesseract's image library, found through the same handle) prints its errors on stderr,
  // e.g. `Error in pixScanForForeground: invalid box` for a blank strip of a page; tesseract.js's messages
  // are filtered the same way (tesseract-worker.cjs). Its lowest level of messages: none.
  try {
    fn<[number], number>('int setMsgSeverity(int severity)')(LEPTONICA_SEVERITY_NONE);
  } catch {
    // A leptonica without it: its messages stay.
  }
  return {
    version: fn('const char* TessVersion()'),
    create: fn('void* TessBaseAPICreate()'),
    init: fn('int TessBaseAPIInit2(void* api, const char* datapath, const char* language, int oem)'),
    setVariable: fn('int TessBaseAPISetVariable(void* api, const char* name, const char* value)'),
    setPageSegMode: fn('void TessBaseAPISetPageSegMode(void* api, int mode)'),
    setImage: fn('void TessBaseAPISetImage(void* api, const uint8_t* data, int width, int height, int bpp, int bpl)'),
    recognize: fn('int TessBaseAPIRecognize(void* api, void* monitor)'),
    tsv: fn('void* TessBaseAPIGetTsvText(void* api, int page)'),
    deleteText: fn('void TessDeleteText(void* text)'),
    clear: fn('void TessBaseAPIClear(void* api)'),
    end: fn('void TessBaseAPIEnd(void* api)'),
    destroy: fn('void TessBaseAPIDelete(void* api)'),
    monitorCreate: fn('void* TessMonitorCreate()'),
    monitorDelete: fn('void TessMonitorDelete(void* monitor)'),
    monitorDeadline: fn('void TessMonitorSetDeadlineMSecs(void* monitor, int deadline)'),
  };
};

const loaded = new Map<string, { api: Libtesseract; version: string } | { missing: string }>();

/**
 * The library's version when it loads and is tesseract 4 or later (the LSTM engine); else why not. Loaded
 * once per file and process.
 */
export const loadLibtesseract = (file: string): { api: Libtesseract; version: string } | { missing: string } => {
  const known = loaded.get(file) ?? tryLoad(file);
  loaded.set(file, known);
  return known;
};

const tryLoad = (file: string): { api: Libtesseract; version: string } | { missing: string } => {
  if (gompLoaded() && process.env['OMP_THREAD_LIMIT'] === undefined) {
    // libgomp already read its settings: each page would run 4 threads. Still correct, only slower.
    process.emitWarning('libgomp was loaded before libtesseract; set OMP_THREAD_LIMIT=1 to keep native OCR to one thread a page');
  }
  let api: Libtesseract;
  try {
    api = bind(file);
  } catch (error) {
    return { missing: `${file} did not load (${error instanceof Error ? error.message : String(error)})` };
  }
  const version = /^(\d+\.\d+(?:\.\d+)?)/.exec(api.version())?.[1];
  if (version === undefined) return { missing: `${file} reported no version` };
  if (Number(version.split('.')[0]) < 4) return { missing: `${file} is tesseract ${version}; the LSTM engine needs 4 or later` };
  return { api, version };
};

const recognizeAsync = (api: Libtesseract, handle: Handle, monitor: Handle): Promise<number> =>
  new Promise((resolve, reject) => {
    api.recognize.async(handle, monitor, (error, code) =>
      error
        ? reject(error instanceof Error ? error : new TesseractCallError('the tesseract call failed', { cause: error }))
        : resolve(code),
    );
  });

/** One TessBaseAPI: a loaded model that reads one page at a time. */
export class TesseractHandle {
  private handle: Handle | undefined;
  private busy = false;
  private closeWhenDone = false;

  /** Loads the model (`language` from `tessdata`, LSTM engine) and sets `variables`; throws when it cannot. */
  public constructor(
    private readonly api: Libtesseract,
    tessdata: string,
    language: string,
    variables: Record<string, string>,
  ) {
    const handle = api.create();
    if (api.init(handle, tessdata, language, 1) !== 0) {
      api.destroy(handle);
      throw new TesseractCallError(`tesseract could not load the ${language} model from ${tessdata}`);
    }
    for (const [name, value] of Object.entries(variables)) {
      if (api.setVariable(handle, name, value) === 0) {
        api.end(handle);
        api.destroy(handle);
        throw new TesseractCallError(`tesseract has no parameter ${name}`);
      }
    }
    this.handle = handle;
  }

  /** The page's words as tesseract's TSV (no header line), read with page segmentation mode `psm`. */
  public async read(pixels: Uint8Array, width: number, height: number, psm: number, deadlineMs: number): Promise<string> {
    const { api, handle } = this;
    if (handle === undefined) throw new TesseractCallError('this tesseract handle was closed');
    if (this.busy) throw new TesseractCallError('this tesseract handle is already reading a page');
    this.busy = true;
    const monitor = api.monitorCreate();
    try {
      api.setPageSegMode(handle, psm);
      api.setImage(handle, pixels, width, height, 1, width);
      api.monitorDeadline(monitor, deadlineMs);
      const started = performance.now();
      const code = await recognizeAsync(api, handle, monitor);
      if (code !== 0 && performance.now() - started >= deadlineMs)
        throw new TesseractDeadlineError(`the page was still being read after ${deadlineMs} ms`);
      if (code !== 0) throw new TesseractCallError(`tesseract could not read the page (TessBaseAPIRecognize returned ${code})`);
      const text = api.tsv(handle, 0);
      try {
        return text === null ? '' : (requireKoffi().decode(text, 'char', -1) as string);
      } finally {
        api.deleteText(text);
      }
    } finally {
      api.monitorDelete(monitor);
      api.clear(handle);
      this.busy = false;
      if (this.closeWhenDone) this.close();
    }
  }

  /** Frees the model; a handle still reading frees it once that page is done. */
  public close(): void {
    if (this.handle === undefined) return;
    if (this.busy) {
      this.closeWhenDone = true;
      return;
    }
    this.api.end(this.handle);
    this.api.destroy(this.handle);
    this.handle = undefined;
  }
}
