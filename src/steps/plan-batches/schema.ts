/** PlanBatches' event and output. */
import * as z from 'zod';
import { count, idSchema, runObjects } from '../../contracts/step-common';

export const planBatchesEventSchema = z.strictObject({
  ...runObjects,
  documentsPrefix: idSchema,
  batchSize: z.number().int().min(1),
});
export type PlanBatchesEvent = z.infer<typeof planBatchesEventSchema>;

/**
 * PlanBatches' output (`$.plan`): a pointer and counts, the same size for 10 documents or 100,000 (256 KB
 * state limit). The OCR Distributed Map reads its items from `itemsKey` in S3 (ItemReader); each item
 * names one batch, and every step derives the batch's S3 keys from the run prefix.
 */
export const planResultSchema = z.strictObject({
  /** The ItemReader object (s3-layout ocrMapItemsKey): one item per batch. */
  itemsKey: idSchema,
  /** The Map's ResultWriter Prefix (s3-layout ocrMapResultsPrefix): every child execution's status and error. */
  resultsPrefix: idSchema,
  batchCount: count,
  documentCount: count,
  quarantinedCount: count,
});
export type PlanResult = z.infer<typeof planResultSchema>;
