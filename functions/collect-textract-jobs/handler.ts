/** CollectTextractJobs: one look at a batch's async Textract jobs (the state machine waits between looks). */
import { ocrBatchEventSchema } from '../../src/steps/ocr-batch/schema';
import { defineHandler } from '../../src/lambda/handler';
import { ocrBatchDepsFromEnv, ocrBatchMetrics, type OcrBatchDeps } from '../../src/steps/ocr-batch/wiring';
import { collectTextractJobs } from '../../src/steps/collect-textract-jobs/step';

export const createCollectTextractJobsHandler = (deps: OcrBatchDeps) =>
  defineHandler(
    {
      name: 'CollectTextractJobs',
      eventSchema: ocrBatchEventSchema,
      run: (event) => collectTextractJobs(deps, event),
      metrics: ocrBatchMetrics,
    },
    deps,
  );

/** The same deps as OcrBatch (src/steps/ocr-batch/wiring.ts). */
export const collectTextractJobsDepsFromEnv = ocrBatchDepsFromEnv;

export const handler = createCollectTextractJobsHandler(collectTextractJobsDepsFromEnv(process.env));
