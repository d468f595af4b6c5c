/** OcrBatch: one Map iteration; OCR one batch of documents through the content-addressed cache. */
import { createS3Client, createTextractClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv } from '../../src/lambda/observability';
import { ocrBatchMetrics, type OcrBatchDeps } from '../../src/lambda/ocr-batch-wiring';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { ocrBatch, ocrBatchParamsSchema } from '../../src/pipeline/ocr-batch';

/** The Map passes each iteration its share of the Textract quotas: required here. */
const eventSchema = ocrBatchParamsSchema.required({ textractTps: true });

export const createOcrBatchHandler = (deps: OcrBatchDeps) =>
  defineHandler({ name: 'OcrBatch', eventSchema, run: (event) => ocrBatch(deps, event), metrics: ocrBatchMetrics }, deps);

export const ocrBatchDepsFromEnv = (env: LambdaEnvironment): OcrBatchDeps => ({
  s3: createS3Client(),
  textract: createTextractClient(),
  ...observabilityFromEnv(env),
});

export const handler = createOcrBatchHandler(ocrBatchDepsFromEnv(process.env));
