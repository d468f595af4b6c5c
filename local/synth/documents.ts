/**
 * Multi-page test documents drawn locally: a PDF (pdf-lib, text drawn with a standard font) and a
 * multi-page TIFF (pages drawn with @napi-rs/canvas, written as uncompressed 8-bit grayscale with utif2).
 * Each page is a list of text lines; the fonts are large enough for tesseract to read them reliably.
 */
import { randomBytes } from 'node:crypto';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import UTIF from 'utif2';

export type PageLines = readonly string[];

/** A5 portrait in PDF points (1/72 inch). */
const PDF_PAGE = { width: 420, height: 595 };
const PDF_FONT_SIZE = 16;

export const multiPagePdf = async (pages: readonly PageLines[]): Promise<Uint8Array> => {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([PDF_PAGE.width, PDF_PAGE.height]);
    lines.forEach((line, i) => {
      page.drawText(line, { x: 36, y: PDF_PAGE.height - 60 - i * PDF_FONT_SIZE * 2, size: PDF_FONT_SIZE, font, color: rgb(0, 0, 0) });
    });
  }
  // Fixed dates: the same pages always give the same bytes (the OCR cache is keyed by content hash).
  pdf.setCreationDate(new Date(0));
  pdf.setModificationDate(new Date(0));
  return pdf.save({ useObjectStreams: false });
};

const FONT_FAMILY = 'SynthDocSans';
let fontRegistered = false;

/** One page drawn as 8-bit grayscale pixels (white paper, black text). */
const drawGrayPage = (lines: PageLines, width: number, height: number): Uint8Array => {
  if (!fontRegistered) {
    if (!GlobalFonts.registerFromPath('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', FONT_FAMILY)) {
      throw new Error('cannot load DejaVuSans.ttf');
    }
    fontRegistered = true;
  }
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = `32px ${FONT_FAMILY}`;
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => ctx.fillText(line, 60, 80 + i * 64));
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const gray = new Uint8Array(width * height);
  for (let p = 0; p < gray.length; p++) gray[p] = rgba[p * 4] ?? 255;
  return gray;
};

/**
 * A multi-page TIFF: one IFD per page (chained), pixel strips after the directories. utif2 writes the
 * directories; where each page's pixels start is computed here, since utif2's encodeImage is one page only.
 */
export const multiPageTiff = (pages: readonly PageLines[], size = { width: 1000, height: 1300 }): Buffer => {
  const { width, height } = size;
  const pixels = pages.map((lines) => drawGrayPage(lines, width, height));
  const ifdFor = (offset: number) => ({
    t256: [width],
    t257: [height],
    t258: [8],
    t259: [1], // no compression
    t262: [1], // black is zero
    t273: [offset],
    t277: [1],
    t278: [height],
    t279: [width * height],
    t282: [[150, 1]],
    t283: [[150, 1]],
    t296: [2], // inches
  });
  // The directories' size does not depend on the offsets' values: encode once to learn it.
  const headerLength = new Uint8Array(UTIF.encode(pages.map(() => ifdFor(0)) as unknown as UTIF.IFD[])).length;
  const offsets = pixels.map((_, i) => headerLength + i * width * height);
  const header = new Uint8Array(UTIF.encode(offsets.map(ifdFor) as unknown as UTIF.IFD[]));
  return Buffer.concat([header, ...pixels]);
};

/**
 * The same PDF marked as encrypted (a standard security handler entry in its trailer), as a password
 * protected PDF announces itself to a reader. pdf-lib cannot encrypt, and a test needs only the marker.
 */
export const withEncryptMarker = (pdf: Uint8Array): Uint8Array => {
  const text = Buffer.from(pdf).toString('latin1');
  const at = text.lastIndexOf('trailer');
  if (at < 0) throw new Error('no classic trailer in this PDF (save it with useObjectStreams: false)');
  const open = text.indexOf('<<', at) + 2;
  const marker = '\n/Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>';
  return Buffer.from(`${text.slice(0, open)}${marker}${text.slice(open)}`, 'latin1');
};

/**
 * A valid PNG of random pixels: they do not compress, so the file is about 3 bytes a pixel (2000x2000 is
 * about 12 MB, over Textract's 10 MB image limit). For limit tests.
 */
export const incompressiblePng = (width: number, height: number): Buffer => {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  image.data.set(randomBytes(image.data.length));
  for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255;
  ctx.putImageData(image, 0, 0);
  return canvas.toBuffer('image/png');
};
