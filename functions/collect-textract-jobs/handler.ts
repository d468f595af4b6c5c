/** CollectTextractJobs: one look at a batch's async Textract jobs (the state machine waits between looks). */
import { createS3Client } from '../../src/aws/s3-client';
import { createTextractClient } from '../../src/aws/textract-client';
import { ocrBatchEventSchema } from '../../src/contracts/step-events';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv } from '../../src/lambda/observability';
import { ocrBatchMetrics, type OcrBatchDeps } from '../../src/lambda/ocr-batch-wiring';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { collectTextractJobs } from '../../src/pipeline/collect-textract-jobs';

export const createCollectTextractJobsHandler = (deps: OcrBatchDeps) =>
  defineHandler(
    { name: 'CollectTextractJobs', eventSchema: ocrBatchEventSchema, run: (event) => collectTextractJobs(deps, event), metrics: ocrBatchMetrics },
    deps,
  );

export const collectTextractJobsDepsFromEnv = (env: LambdaEnvironment): OcrBatchDeps => ({
  s3: createS3Client(),
  textract: createTextractClient(),
  ...observabilityFromEnv(env),
});

export const handler = createCollectTextractJobsHandler(collectTextractJobsDepsFromEnv(process.env));
