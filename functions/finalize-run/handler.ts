/** FinalizeRun: the finished training job -> terminal run record (metrics, artifact, cost or reason). */
import { sageMakerClient } from '../../src/aws/sagemaker-client';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { finalizeRun } from '../../src/pipeline/finalize';
import { finalizeRunEventSchema } from '../../src/contracts/step-events';

const store = runStoreFromEnv();

export const handler = defineHandler('FinalizeRun', finalizeRunEventSchema, (event) =>
  finalizeRun({ sagemaker: sageMakerClient(), store, now: () => new Date() }, event),
);
