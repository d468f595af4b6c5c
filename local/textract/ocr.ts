/**
 * OCR for the local Textract: tesseract.js with one lazily created worker, reused for every request, with
 * requests serialised through a promise queue (a tesseract worker handles one job at a time, and one
 * worker keeps memory and start-up cost flat). Results are mapped to Textract PAGE/LINE/WORD blocks.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadImage } from '@napi-rs/canvas';
import { createWorker, OEM, type Bbox, type Page, type Worker } from 'tesseract.js';
import { detectFileType } from '../../src/documents/file-type';
import { JsonProtocolError } from '../http/json-protocol-server';

export interface Point {
  X: number;
  Y: number;
}
export interface TextractBlock {
  BlockType: 'PAGE' | 'LINE' | 'WORD';
  Id: string;
  Confidence?: number;
  Text?: string;
  TextType?: 'PRINTED';
  Geometry: { BoundingBox: { Width: number; Height: number; Left: number; Top: number }; Polygon: Point[] };
  Relationships?: { Type: 'CHILD'; Ids: string[] }[];
  Page: number;
}

/** Decode only to learn the pixel size (and to reject corrupt images the way Textract does). */
const imageSize = async (bytes: Buffer): Promise<{ width: number; height: number }> => {
  const format = detectFileType(bytes);
  if (format !== 'png' && format !== 'jpeg') {
    // PDF and TIFF pages arrive here rasterised (pages.ts); anything else is not an image.
    throw new JsonProtocolError('UnsupportedDocumentException', 'Request has unsupported document format');
  }
  try {
    const image = await loadImage(bytes);
    if (image.width <= 0 || image.height <= 0) throw new Error('empty image');
    return { width: image.width, height: image.height };
  } catch {
    throw new JsonProtocolError('BadDocumentException', 'Unable to decode the document: the image is corrupt or truncated');
  }
};

const langPath = (): string => {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
};

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

const geometry = (bbox: Bbox, width: number, height: number): TextractBlock['Geometry'] => {
  const left = clamp01(bbox.x0 / width);
  const top = clamp01(bbox.y0 / height);
  const right = clamp01(bbox.x1 / width);
  const bottom = clamp01(bbox.y1 / height);
  return {
    BoundingBox: { Width: right - left, Height: bottom - top, Left: left, Top: top },
    // Clockwise from top-left, as Textract returns for an upright page.
    Polygon: [
      { X: left, Y: top },
      { X: right, Y: top },
      { X: right, Y: bottom },
      { X: left, Y: bottom },
    ],
  };
};

export class OcrEngine {
  private worker: Promise<Worker> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Run `task` after every earlier request: one tesseract job at a time. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private getWorker(): Promise<Worker> {
    if (this.closed) return Promise.reject(new JsonProtocolError('InternalServerError', 'Textract is shutting down', 500));
    this.worker ??= createWorker('eng', OEM.LSTM_ONLY, {
      langPath: langPath(),
      gzip: true,
      cacheMethod: 'none',
      // Without a handler tesseract.js rethrows job errors as uncaught exceptions; the job promise rejects anyway.
      errorHandler: () => undefined,
    }).catch(
      (error: unknown) => {
        this.worker = undefined; // let a later request retry the start
        throw error;
      },
    );
    return this.worker;
  }

  /**
   * OCR one raster page (PNG or JPEG) into Textract blocks (PAGE first, then LINEs, then WORDs, as Textract
   * orders them), each block carrying `Page: pageNumber`. Limits and multi-page documents are pages.ts's job.
   */
  public recognizePage(bytes: Buffer, pageNumber: number): Promise<TextractBlock[]> {
    return this.enqueue(async () => {
      const { width, height } = await imageSize(bytes);
      const worker = await this.getWorker();
      let data: Page;
      try {
        ({ data } = await worker.recognize(bytes, {}, { blocks: true, text: false }));
      } catch (error) {
        // The header decoded but leptonica could not read the pixels (e.g. a truncated file).
        throw new JsonProtocolError('BadDocumentException', `Unable to read the document image: ${String(error)}`);
      }
      const pageId = randomUUID();
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
              Geometry: geometry(w.bbox, width, height),
              Page: pageNumber,
            }));
            const x0 = Math.min(...lineWords.map((w) => w.bbox.x0));
            const y0 = Math.min(...lineWords.map((w) => w.bbox.y0));
            const x1 = Math.max(...lineWords.map((w) => w.bbox.x1));
            const y1 = Math.max(...lineWords.map((w) => w.bbox.y1));
            lines.push({
              BlockType: 'LINE',
              Id: randomUUID(),
              Confidence: wordBlocks.reduce((sum, w) => sum + (w.Confidence ?? 0), 0) / wordBlocks.length,
              Text: wordBlocks.map((w) => w.Text).join(' '),
              Geometry: geometry({ x0, y0, x1, y1 }, width, height),
              Relationships: [{ Type: 'CHILD', Ids: wordBlocks.map((w) => w.Id) }],
              Page: pageNumber,
            });
            words.push(...wordBlocks);
          }
        }
      }
      const page: TextractBlock = {
        BlockType: 'PAGE',
        Id: pageId,
        Geometry: geometry({ x0: 0, y0: 0, x1: width, y1: height }, width, height),
        Page: pageNumber,
        ...(lines.length > 0 ? { Relationships: [{ Type: 'CHILD' as const, Ids: lines.map((l) => l.Id) }] } : {}),
      };
      return [page, ...lines, ...words];
    });
  }

  /** Wait for queued work, then stop the worker. */
  public async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await (await worker.catch(() => undefined))?.terminate();
  }
}
