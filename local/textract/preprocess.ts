/**
 * What tesseract is given: upright grayscale pixels, never the user's file as it is.
 *
 * Decoding happens here, with Skia (@napi-rs/canvas), not inside tesseract.js, because tesseract.js reads
 * the EXIF orientation with a pattern that only matches big-endian ("MM") EXIF: a photo stored sideways with
 * little-endian ("II") EXIF orientation 6 or 8 (what many phones write) reaches tesseract sideways, and its
 * words come back as garbage, or as nothing, while the page size the emulator reports is the upright one.
 * Skia applies the orientation, so the page is OCR'd the way a viewer (and Textract) shows it. The page is
 * also flattened onto white (a transparent PNG's text is not lost to a black background), converted to
 * grayscale (ITU-R BT.601 luma) with white-on-dark bands turned dark-on-white (dark-bands.ts), and handed
 * over as pixels (the native reader) or a binary PGM (tesseract.js), so a page costs one decode in total.
 */
import { createCanvas, loadImage, type Image } from '@napi-rs/canvas';
import { JsonProtocolError } from '../http/json-protocol-server';
import { isRasterImageComplete } from '../../src/documents/inspect';
import { invertDarkBands } from './dark-bands';
import { cleanPage, type CleanupVariant, type GrayImage } from './page-cleanup';

/**
 * Above this many pixels the page is scaled down before OCR: tesseract's time and wasm memory grow with the
 * pixel count, and 40 MP is well above an A4 page at 600 dpi. Boxes are ratios of the page, so scaling
 * changes no coordinate the caller sees.
 */
export const MAX_OCR_PIXELS = 40_000_000;

export interface DecodedPage {
  /** Upright pixel size (EXIF orientation applied). */
  width: number;
  height: number;
  image: Image;
}

export const decodePage = async (bytes: Uint8Array): Promise<DecodedPage> => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // Skia decodes a truncated file without complaint, painting what is missing white (a silently empty
  // page); Textract refuses such a file, and so do we, with the pipeline's own structural check.
  if (!isRasterImageComplete(buffer)) {
    throw new JsonProtocolError('BadDocumentException', 'Unable to decode the document: the image is truncated');
  }
  let image: Image;
  try {
    image = await loadImage(buffer);
  } catch {
    throw new JsonProtocolError('BadDocumentException', 'Unable to decode the document: the image is corrupt or truncated');
  }
  if (!(image.width > 0 && image.height > 0)) {
    throw new JsonProtocolError('BadDocumentException', 'Unable to decode the document: the image has no pixels');
  }
  return { width: image.width, height: image.height, image };
};

/** The scale that keeps a page under MAX_OCR_PIXELS (1 when it already is). */
export const fitScale = (width: number, height: number, wanted = 1): number =>
  Math.min(wanted, Math.sqrt(MAX_OCR_PIXELS / (width * height)));

/** Clockwise quarter turns applied to a page before OCR (0: as decoded). */
export type QuarterTurns = 0 | 1 | 2 | 3;

/**
 * The page at `scale`, turned `turns` quarter turns clockwise, on white, as 8-bit grayscale pixels, its
 * white-on-dark bands inverted (dark-bands.ts); with `cleanup`, cleaned up first (page-cleanup.ts: same size,
 * so boxes keep their place).
 */
export const toGray = (page: DecodedPage, scale = 1, turns: QuarterTurns = 0, cleanup?: CleanupVariant): GrayImage => {
  const w = Math.max(1, Math.round(page.width * scale));
  const h = Math.max(1, Math.round(page.height * scale));
  const [width, height] = turns % 2 === 0 ? [w, h] : [h, w];
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  if (turns === 1) ctx.translate(h, 0);
  if (turns === 2) ctx.translate(w, h);
  if (turns === 3) ctx.translate(0, w);
  ctx.rotate((turns * Math.PI) / 2);
  ctx.drawImage(page.image, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const gray = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 1) {
    // Integer BT.601 luma: (77 R + 150 G + 29 B) / 256.
    gray[j] = ((rgba[i] ?? 0) * 77 + (rgba[i + 1] ?? 0) * 150 + (rgba[i + 2] ?? 0) * 29) >> 8;
  }
  const image = { width, height, pixels: gray };
  return invertDarkBands(cleanup === undefined ? image : cleanPage(image, cleanup));
};
