import * as z from 'zod';
import { OCR_SCHEMA_VERSION } from './ocr-constants';

export { OCR_SCHEMA_VERSION, TEXTRACT_ENGINE } from './ocr-constants';

/** Integer 0..1000 coordinate (LayoutLM convention). */
const coordinate = z.number().int().min(0).max(1000);

export const ocrWordSchema = z.strictObject({
  text: z.string().min(1),
  /** [x0, y0, x1, y1] in the page's upright frame, x0 <= x1 and y0 <= y1. */
  box: z
    .tuple([coordinate, coordinate, coordinate, coordinate])
    .refine(([x0, y0, x1, y1]) => x0 <= x1 && y0 <= y1, { message: 'box must be [x0, y0, x1, y1] with x0<=x1, y0<=y1' }),
  confidence: z.number().min(0).max(100),
});

export const ocrPageSchema = z.strictObject({
  page: z.number().int().min(1),
  /** Pixel size of the upright page when known, else 1000. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** In reading order. */
  words: z.array(ocrWordSchema),
});

export const ocrDocumentSchema = z.strictObject({
  schemaVersion: z.literal(OCR_SCHEMA_VERSION),
  engine: z.string().min(1),
  pages: z.array(ocrPageSchema),
});

export type OcrBox = [x0: number, y0: number, x1: number, y1: number];
export type OcrWord = z.infer<typeof ocrWordSchema>;
export type OcrPage = z.infer<typeof ocrPageSchema>;
export type OcrDocument = z.infer<typeof ocrDocumentSchema>;
