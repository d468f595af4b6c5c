/**
 * The OCR cache document's version and engine names, apart from its zod schema (ocr-document.ts) so that
 * the conversion (src/textract/document.ts, blocks.ts) loads without zod: a process that only converts a Textract
 * response does not pay the schema library's start-up.
 */
/** Contract 2 (docs/CONTRACTS.md): OCR words cached under `ocr-cache/<sha256>.json`. */
export const OCR_SCHEMA_VERSION = 1 as const;

export const TEXTRACT_ENGINE = 'textract:DetectDocumentText';
