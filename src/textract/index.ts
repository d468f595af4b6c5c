export { blocksToPages, dominantTextAngle } from './blocks';
export type { PageSize, PageSizes, TextractBlock, TextractBoundingBox, TextractPoint } from './blocks';
export { OCR_SCHEMA_VERSION, TEXTRACT_ENGINE, ocrDocumentSchema, ocrPageSchema, ocrWordSchema } from '../contracts/ocr-document';
export type { OcrBox, OcrDocument, OcrPage, OcrWord } from '../contracts/ocr-document';
export { orderByLayout } from './reading-order';
export type { Box, ReadingOrderOptions } from './reading-order';
export { blocksToOcrDocument } from './document';
export { textractBlockSchema, textractResponseSchema } from './response';
export type { TextractResponse } from './response';
