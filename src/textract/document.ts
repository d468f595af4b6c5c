import { blocksToPages, type PageSizes, type TextractBlock } from './blocks';
import { OCR_SCHEMA_VERSION, TEXTRACT_ENGINE } from '../contracts/ocr-constants';
import type { OcrDocument } from '../contracts/ocr-document';

/** The contract-2 cache document for one Textract response. */
export function blocksToOcrDocument(
  blocks: readonly TextractBlock[],
  pageSizes: PageSizes = {},
  engine: string = TEXTRACT_ENGINE,
): OcrDocument {
  return { schemaVersion: OCR_SCHEMA_VERSION, engine, pages: blocksToPages(blocks, pageSizes) };
}
