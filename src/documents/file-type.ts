/**
 * What a document is, by its bytes (magic numbers), never by its name: a JPEG saved as `.png` is a JPEG,
 * and a text file saved as `.pdf` is no document at all. Used by OcrBatch (which route to Textract, or
 * which quarantine reason) and by the local Textract (which decoder), so both agree on every file.
 *
 * Magic numbers are written here by hand: the npm packages that do this (file-type) are ESM-only
 * stream readers with many formats we do not need; the five signatures below are fixed by their specs.
 */
export type DocumentFileType = 'png' | 'jpeg' | 'tiff' | 'pdf';
export type FileType = DocumentFileType | 'unknown';

/** File types Textract accepts (https://docs.aws.amazon.com/textract/latest/dg/limits-document.html). */
export const DOCUMENT_FILE_TYPES: readonly DocumentFileType[] = ['png', 'jpeg', 'tiff', 'pdf'];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** PNG (8-byte signature), JPEG (SOI + marker), TIFF (`II*\0` / `MM\0*`), PDF (`%PDF-` in the first 1 KB). */
export const detectFileType = (bytes: Uint8Array): FileType => {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // PDF readers (and Textract) accept the header anywhere in the first 1024 bytes (ISO 32000-1, 7.5.2 note).
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return 'pdf';
  return 'unknown';
};

/** Other formats people upload by mistake, named so the quarantine reason says what the file really is. */
const FOREIGN_SIGNATURES: readonly { readonly name: string; readonly test: (bytes: Uint8Array) => boolean }[] = [
  { name: 'a GIF image', test: (b) => startsWith(b, ascii('GIF8')) },
  { name: 'a BMP image', test: (b) => startsWith(b, ascii('BM')) && b.length >= 14 },
  { name: 'a WebP image', test: (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8) },
  {
    name: 'a HEIC/HEIF image',
    test: (b) => startsWith(b, ascii('ftyp'), 4) && /^(heic|heix|mif1|msf1)$/.test(Buffer.from(b.subarray(8, 12)).toString('latin1')),
  },
  { name: 'a JPEG 2000 image', test: (b) => startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) },
  { name: 'a ZIP archive (or an Office document)', test: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) },
  { name: 'a gzip archive', test: (b) => startsWith(b, [0x1f, 0x8b]) },
];

/** A short human description of bytes that are not a supported document, for quarantine reasons. */
export const describeUnsupportedBytes = (bytes: Uint8Array): string => {
  if (bytes.length === 0) return 'an empty file (0 bytes)';
  const foreign = FOREIGN_SIGNATURES.find((signature) => signature.test(bytes));
  if (foreign) return foreign.name;
  const head = Buffer.from(bytes.subarray(0, 512));
  const printable = [...head].filter((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f)).length;
  if (printable / head.length > 0.95) {
    const text = head.toString('latin1').trimStart().toLowerCase();
    if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'an HTML page';
    if (text.startsWith('{') || text.startsWith('[')) return 'JSON text';
    return 'plain text';
  }
  return 'binary data of no supported format';
};
