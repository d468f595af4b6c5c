/** CollectTextractJobs: one look at a batch's async Textract jobs (the state machine waits between looks). */
import { createS3Client, createTextractClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv } from '../../src/lambda/observability';
import { ocrBatchMetrics, type OcrBatchDeps } from '../../src/lambda/ocr-batch-wiring';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { collectTextractJobs } from '../../src/pipeline/collect-textract-jobs';
import { ocrBatchParamsSchema } from '../../src/pipeline/ocr-batch';

/** The Map passes each iteration its share of the Textract quotas: required here. */
const eventSchema = ocrBatchParamsSchema.required({ textractTps: true });

export const createCollectTextractJobsHandler = (deps: OcrBatchDeps) =>
  defineHandler(
    { name: 'CollectTextractJobs', eventSchema, run: (event) => collectTextractJobs(deps, event), metrics: ocrBatchMetrics },
    deps,
  );

export const collectTextractJobsDepsFromEnv = (env: LambdaEnvironment): OcrBatchDeps => ({
  s3: createS3Client(),
  textract: createTextractClient(),
  ...observabilityFromEnv(env),
});

export const handler = createCollectTextractJobsHandler(collectTextractJobsDepsFromEnv(process.env));
