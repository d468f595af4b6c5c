/** OcrBatch: one Map iteration; OCR one batch of documents through the content-addressed cache. */
import { ocrBatchEventSchema } from '../../src/steps/ocr-batch/schema';
import { defineHandler } from '../../src/lambda/handler';
import { ocrBatchDepsFromEnv, ocrBatchMetrics, type OcrBatchDeps } from '../../src/steps/ocr-batch/wiring';
import { ocrBatch } from '../../src/steps/ocr-batch/step';

export const createOcrBatchHandler = (deps: OcrBatchDeps) =>
  defineHandler(
    { name: 'OcrBatch', eventSchema: ocrBatchEventSchema, run: (event) => ocrBatch(deps, event), metrics: ocrBatchMetrics },
    deps,
  );

export { ocrBatchDepsFromEnv };

export const handler = createOcrBatchHandler(ocrBatchDepsFromEnv(process.env));
