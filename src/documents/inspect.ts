/**
 * Looks inside a document before anything is paid for: its type by magic number, its page count, and
 * the defects Textract would refuse it for (empty, truncated, corrupt, encrypted). Pure: bytes in,
 * verdict out. PDF parsing is pdf-lib's; TIFF directories are utif2's; the end-of-file markers of
 * PNG/JPEG/PDF are checked by hand (a few bytes, fixed by each format's spec).
 *
 * pdf-lib and utif2 are imported on first use: they are most of a Lambda bundle's weight and startup
 * work (pdf-lib decompresses its font encodings when loaded), and most documents are images. A function
 * that never inspects a PDF or TIFF (BuildDataset) does not bundle them at all.
 */
import type UTIF from 'utif2';
import { describeUnsupportedBytes, detectFileType, type DocumentFileType, type FileType } from './file-type';

export type DocumentProblem = 'empty' | 'unsupported-type' | 'truncated' | 'corrupt' | 'encrypted';

export type DocumentInspection =
  | { readonly ok: true; readonly type: DocumentFileType; readonly pages: number; readonly byteLength: number }
  | { readonly ok: false; readonly type: FileType; readonly problem: DocumentProblem; readonly reason: string };

const bad = (type: FileType, problem: DocumentProblem, reason: string): DocumentInspection => ({ ok: false, type, problem, reason });

const indexOfBytes = (haystack: Uint8Array, needle: readonly number[], from: number): number => {
  for (let i = Math.max(0, from); i + needle.length <= haystack.length; i++) {
    if (needle.every((byte, j) => haystack[i + j] === byte)) return i;
  }
  return -1;
};

/**
 * A complete PNG is a chain of chunks (length, type, data, CRC) that ends with IEND; a truncated one has a
 * chunk running past the end of the file or no IEND. Bytes after IEND are tolerated, as decoders do.
 */
const pngComplete = (bytes: Uint8Array): boolean => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    offset += 12 + length;
    if (offset > bytes.length) return false;
    if (type === 'IEND') return true;
  }
  return false;
};

/**
 * A complete JPEG has its end-of-image marker (FFD9) after the first start-of-scan: the header segments
 * are walked by their lengths (so a thumbnail's own FFD9 inside APP1 is skipped), then the scan data is
 * searched (FF inside scan data is always stuffed as FF00, so FFD9 there is the real end). Bytes after
 * EOI (phones append trailers) are tolerated.
 */
const jpegComplete = (bytes: Uint8Array): boolean => {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return false;
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    const length = ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
    if (marker === 0xda) return indexOfBytes(bytes, [0xff, 0xd9], offset + 2 + length) >= 0;
    offset += 2 + length;
  }
  return false;
};

/**
 * Whether a PNG or JPEG ends the way its format requires (any other type: true). Shared by the pipeline's
 * inspection and the local Textract, which must refuse a truncated image before a decoder paints the
 * missing part white.
 */
export const isRasterImageComplete = (bytes: Uint8Array): boolean => {
  const type = detectFileType(bytes);
  if (type === 'png') return pngComplete(bytes);
  if (type === 'jpeg') return jpegComplete(bytes);
  return true;
};

/** `%%EOF` ends a PDF (the last incremental update's); trailing bytes after it are tolerated, as readers do. */
const pdfComplete = (bytes: Uint8Array): boolean => indexOfBytes(bytes, [0x25, 0x25, 0x45, 0x4f, 0x46], bytes.length - 1024) >= 0;

const inspectPdf = async (bytes: Uint8Array): Promise<DocumentInspection> => {
  if (!pdfComplete(bytes)) return bad('pdf', 'truncated', 'the PDF is truncated (no %%EOF marker at its end): upload the complete file');
  try {
    // Loaded even when encrypted, to tell "encrypted" (pdf.isEncrypted) apart from "corrupt".
    const { PDFDocument } = await import('pdf-lib');
    const pdf = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
    if (pdf.isEncrypted) {
      return bad(
        'pdf',
        'encrypted',
        'the PDF is encrypted (password protected); Textract does not read encrypted PDFs: save an unprotected copy',
      );
    }
    const pages = pdf.getPageCount();
    if (pages < 1) return bad('pdf', 'corrupt', 'the PDF has no pages');
    return { ok: true, type: 'pdf', pages, byteLength: bytes.length };
  } catch (error) {
    return bad('pdf', 'corrupt', `the PDF cannot be parsed (${(error as Error).message})`);
  }
};

const tagNumbers = (value: unknown): number[] => (Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : []);

const inspectTiff = async (bytes: Uint8Array): Promise<DocumentInspection> => {
  const { default: utif } = await import('utif2');
  let ifds: UTIF.IFD[];
  try {
    ifds = utif.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    return bad('tiff', 'corrupt', `the TIFF cannot be parsed (${(error as Error).message})`);
  }
  const images = ifds.filter((ifd) => ifd['t256'] !== undefined && ifd['t257'] !== undefined);
  if (images.length === 0) return bad('tiff', 'corrupt', 'the TIFF holds no image (no directory with a width and height)');
  for (const [index, ifd] of images.entries()) {
    // Strips (273/279) or tiles (324/325): every data block must lie inside the file.
    const offsets = [...tagNumbers(ifd['t273']), ...tagNumbers(ifd['t324'])];
    const counts = [...tagNumbers(ifd['t279']), ...tagNumbers(ifd['t325'])];
    if (offsets.length === 0) return bad('tiff', 'corrupt', `TIFF page ${index + 1} has no image data`);
    const end = Math.max(...offsets.map((offset, i) => offset + (counts[i] ?? 0)));
    if (end > bytes.length) {
      return bad('tiff', 'truncated', `the TIFF is truncated: page ${index + 1} needs ${end} bytes, the file has ${bytes.length}`);
    }
  }
  return { ok: true, type: 'tiff', pages: images.length, byteLength: bytes.length };
};

export const inspectDocument = async (bytes: Uint8Array): Promise<DocumentInspection> => {
  if (bytes.length === 0) return bad('unknown', 'empty', 'the file is empty (0 bytes)');
  const type = detectFileType(bytes);
  switch (type) {
    case 'png':
      return pngComplete(bytes)
        ? { ok: true, type, pages: 1, byteLength: bytes.length }
        : bad(type, 'truncated', 'the PNG is truncated (no IEND chunk at its end): upload the complete file');
    case 'jpeg':
      return jpegComplete(bytes)
        ? { ok: true, type, pages: 1, byteLength: bytes.length }
        : bad(type, 'truncated', 'the JPEG is truncated (no end-of-image marker at its end): upload the complete file');
    case 'pdf':
      return inspectPdf(bytes);
    case 'tiff':
      return inspectTiff(bytes);
    case 'unknown':
      return bad(
        type,
        'unsupported-type',
        `the file's content is ${describeUnsupportedBytes(bytes)}, not a PNG, JPEG, TIFF or PDF document`,
      );
  }
};
