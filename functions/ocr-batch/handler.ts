/** OcrBatch: one Map iteration; OCR one batch of documents through the content-addressed cache. */
import { createS3Client } from '../../src/aws/s3-client';
import { createTextractClient } from '../../src/aws/textract-client';
import { ocrBatchEventSchema } from '../../src/contracts/step-events';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv } from '../../src/lambda/observability';
import { ocrBatchMetrics, type OcrBatchDeps } from '../../src/lambda/ocr-batch-wiring';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { ocrBatch } from '../../src/pipeline/ocr-batch';

export const createOcrBatchHandler = (deps: OcrBatchDeps) =>
  defineHandler({ name: 'OcrBatch', eventSchema: ocrBatchEventSchema, run: (event) => ocrBatch(deps, event), metrics: ocrBatchMetrics }, deps);

export const ocrBatchDepsFromEnv = (env: LambdaEnvironment): OcrBatchDeps => ({
  s3: createS3Client(),
  textract: createTextractClient(),
  ...observabilityFromEnv(env),
});

export const handler = createOcrBatchHandler(ocrBatchDepsFromEnv(process.env));
