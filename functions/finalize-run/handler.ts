/** FinalizeRun: the finished training job -> terminal run record (metrics, artifact, cost or reason). */
import * as z from 'zod';
import { sageMakerClient } from '../../src/aws/sagemaker-client';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { finalizeRun } from '../../src/pipeline/finalize';

const store = runStoreFromEnv();

const eventSchema = z.strictObject({
  runId: z.string().min(1),
  executionName: z.string().min(1),
  trainingJobName: z.string().min(1),
  datasetFingerprint: z.string().optional(),
});

export const handler = defineHandler('FinalizeRun', eventSchema, (event) =>
  finalizeRun({ sagemaker: sageMakerClient(), store, now: () => new Date() }, event),
);
