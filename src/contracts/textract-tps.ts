/**
 * The Textract TPS quotas a run keeps to, per API: part of the run config and of each OCR Map
 * iteration's event (its share). How they are split and enforced: src/textract/throughput.ts.
 */
import * as z from 'zod';

export const TEXTRACT_APIS = ['DetectDocumentText', 'AnalyzeDocument', 'StartDocumentTextDetection', 'GetDocumentTextDetection'] as const;
export type TextractApi = (typeof TEXTRACT_APIS)[number];

const tps = z.number().positive().max(10_000);
/** Transactions per second per Textract API. Fractions are allowed (an iteration's share may be < 1). */
export const textractTpsSchema = z.strictObject({
  DetectDocumentText: tps,
  AnalyzeDocument: tps,
  StartDocumentTextDetection: tps,
  GetDocumentTextDetection: tps,
});
export type TextractTps = z.infer<typeof textractTpsSchema>;
