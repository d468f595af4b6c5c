/** The event and output of OcrBatch and CollectTextractJobs (one OCR Map iteration; CollectTextractJobs reads these too). */
import * as z from 'zod';
import { textractTpsSchema } from '../../contracts/textract-tps';
import { count, idSchema, runObjects } from '../../contracts/step-common';

/** The parameters of OcrBatch and CollectTextractJobs as domain functions (a lone caller may omit the TPS share). */
export const ocrBatchParamsSchema = z.strictObject({
  ...runObjects,
  batchIndex: z.number().int().min(0),
  /**
   * This iteration's share of the Textract TPS quotas (the run config's `dataset.textractTpsPerBatch`).
   * Absent: the client region's whole default quota, right for a lone caller only.
   */
  textractTps: textractTpsSchema.optional(),
});
export type OcrBatchParams = z.infer<typeof ocrBatchParamsSchema>;

/** The event of OcrBatch and CollectTextractJobs: the Map passes each iteration its TPS share, so it is required. */
export const ocrBatchEventSchema = ocrBatchParamsSchema.required({ textractTps: true });

/** Both steps' output (`$.ocr` inside the Map): small, fixed size, whatever the batch holds. */
export const ocrBatchSummarySchema = z.strictObject({
  batchIndex: z.number().int().min(0),
  resultKey: idSchema,
  documents: count,
  quarantined: count,
  cacheHits: count,
  pagesBilled: count,
  /** Async Textract jobs still running: the state machine waits `waitSeconds` and collects while > 0. */
  pendingJobs: count,
  waitSeconds: z.number().int().min(0),
});
export type OcrBatchSummary = z.infer<typeof ocrBatchSummarySchema>;
