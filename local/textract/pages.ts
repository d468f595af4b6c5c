/**
 * Document bytes -> one raster per page, for the local Textract: PNG and JPEG are one page as they are;
 * PDF pages are rendered with pdfjs-dist (its legacy Node build, drawing on @napi-rs/canvas) at 150 DPI;
 * TIFF pages are decoded with utif2 to RGBA and encoded as PNG. What the service refuses is refused here
 * first, with the service's exception names, using the same inspection and limits the pipeline checks
 * (src/documents), so the local run and AWS agree on every document.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import UTIF from 'utif2';
import { inspectDocument, TEXTRACT_LIMITS, type DocumentFileType, type TextractApi } from '../../src/documents';
import { JsonProtocolError } from '../http/json-protocol-server';

/** Textract reads PDFs at about this resolution; 150 DPI keeps receipt text well above tesseract's minimum. */
export const PDF_RENDER_DPI = 150;

export interface DocumentPages {
  readonly type: DocumentFileType;
  readonly pageCount: number;
  /** PNG or JPEG bytes of page `pageNumber` (1-based), rendered on demand so a long document is not all in memory. */
  page(pageNumber: number): Promise<Buffer>;
  close(): Promise<void>;
}

const MB = 1024 * 1024;

/** Validates `bytes` as `api` would, then opens it page by page. Throws JsonProtocolError with Textract's names. */
export const openDocumentPages = async (bytes: Buffer, api: TextractApi): Promise<DocumentPages> => {
  if (bytes.length === 0) throw new JsonProtocolError('InvalidParameterException', 'Document.Bytes must not be empty');
  const inspection = await inspectDocument(bytes);
  if (!inspection.ok) {
    switch (inspection.problem) {
      case 'empty':
        throw new JsonProtocolError('InvalidParameterException', 'Document.Bytes must not be empty');
      case 'unsupported-type':
      case 'encrypted':
        throw new JsonProtocolError('UnsupportedDocumentException', `Request has unsupported document format (${inspection.reason})`);
      case 'truncated':
      case 'corrupt':
        throw new JsonProtocolError('BadDocumentException', `Unable to read the document (${inspection.reason})`);
    }
  }
  const { type, pages } = inspection;
  const image = type === 'png' || type === 'jpeg';
  const maxBytes = api === 'sync' || image ? TEXTRACT_LIMITS.sync.maxBytes : TEXTRACT_LIMITS.async.maxBytes;
  if (bytes.length > maxBytes) {
    throw new JsonProtocolError('DocumentTooLargeException', `Document size is larger than the ${maxBytes / MB} MB limit`);
  }
  if (api === 'sync' && pages > TEXTRACT_LIMITS.sync.maxPages) {
    // What DetectDocumentText answers for a multi-page PDF/TIFF.
    throw new JsonProtocolError('UnsupportedDocumentException', 'Request has unsupported document format');
  }
  if (pages > TEXTRACT_LIMITS.async.maxPages) {
    throw new JsonProtocolError(
      'UnsupportedDocumentException',
      `Request has unsupported document format (more than ${TEXTRACT_LIMITS.async.maxPages} pages)`,
    );
  }
  if (image) return { type, pageCount: 1, page: () => Promise.resolve(bytes), close: () => Promise.resolve() };
  return type === 'pdf' ? openPdf(bytes, pages) : openTiff(bytes, pages);
};

const badPage = (pageNumber: number, error: unknown): JsonProtocolError =>
  new JsonProtocolError(
    'BadDocumentException',
    `Unable to read page ${pageNumber} of the document: ${(error as Error).message ?? String(error)}`,
  );

const pdfjsAssets = (): string => {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('pdfjs-dist/package.json'));
};

/** The part of pdfjs' Node canvas factory (an @napi-rs/canvas underneath) used here; pdfjs types it as Object. */
interface PdfjsCanvasFactory {
  create(
    width: number,
    height: number,
  ): { canvas: PdfjsCanvas; context: { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void } };
  destroy(entry: { canvas: PdfjsCanvas; context: unknown }): void;
}
interface PdfjsCanvas {
  width: number;
  height: number;
  toBuffer(mime: 'image/png'): Buffer;
}

const openPdf = async (bytes: Buffer, pageCount: number): Promise<DocumentPages> => {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const assets = pdfjsAssets();
  const document = await pdfjs
    .getDocument({
      data: new Uint8Array(bytes), // pdfjs takes ownership of (detaches) the buffer it is given: a copy
      standardFontDataUrl: `${path.join(assets, 'standard_fonts')}/`,
      cMapUrl: `${path.join(assets, 'cmaps')}/`,
      cMapPacked: true,
      isEvalSupported: false,
      verbosity: 0, // errors only: no font-substitution warnings on the terminal
    })
    .promise.catch((error: unknown) => {
      throw badPage(1, error);
    });
  return {
    type: 'pdf',
    pageCount,
    page: async (pageNumber) => {
      try {
        const page = await document.getPage(pageNumber);
        const viewport = page.getViewport({ scale: PDF_RENDER_DPI / 72 });
        // pdfjs draws with its own @napi-rs/canvas (its Path2D must come from the same module): use its factory.
        const factory = document.canvasFactory as PdfjsCanvasFactory;
        const { canvas, context } = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
        context.fillStyle = '#ffffff'; // PDF pages are transparent; tesseract wants paper
        context.fillRect(0, 0, canvas.width, canvas.height);
        // pdfjs types its canvas as the DOM's (unresolved without the DOM lib); in Node it is its factory's.
        await page.render({ canvas, canvasContext: context, viewport }).promise;
        const png = canvas.toBuffer('image/png');
        factory.destroy({ canvas, context });
        page.cleanup();
        return png;
      } catch (error) {
        throw badPage(pageNumber, error);
      }
    },
    close: () => document.destroy(),
  };
};

const openTiff = (bytes: Buffer, pageCount: number): Promise<DocumentPages> => {
  const ifds = UTIF.decode(bytes).filter((ifd) => ifd['t256'] !== undefined && ifd['t257'] !== undefined);
  return Promise.resolve({
    type: 'tiff',
    pageCount,
    page: (pageNumber) => {
      try {
        const ifd = ifds[pageNumber - 1];
        if (ifd === undefined) throw new Error(`no page ${pageNumber}`);
        UTIF.decodeImage(bytes, ifd);
        const rgba = UTIF.toRGBA8(ifd);
        const canvas = createCanvas(ifd.width, ifd.height);
        const context = canvas.getContext('2d');
        const imageData = context.createImageData(ifd.width, ifd.height);
        imageData.data.set(rgba);
        context.putImageData(imageData, 0, 0);
        ifd.data = new Uint8Array(0); // free the decoded pixels; the page is encoded now
        return Promise.resolve(canvas.toBuffer('image/png'));
      } catch (error) {
        return Promise.reject(badPage(pageNumber, error));
      }
    },
    close: () => Promise.resolve(),
  });
};
