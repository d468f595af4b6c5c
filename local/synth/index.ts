export { generateReceipts } from './receipts';
export type { GenerateOptions, SyntheticReceipt } from './receipts';
export { tesseractToOcrPage } from './tesseract-words';
export type { TesseractPageLike } from './tesseract-words';
export { deriveSeed, mulberry32 } from './prng';
export type { Rng } from './prng';
export { incompressiblePng, multiPagePdf, multiPageTiff, withEncryptMarker } from './documents';
export type { PageLines } from './documents';
