/** StopEndedRun: EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT) -> stop the run's job. */
import { z } from 'zod';
import { sageMakerClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { stopEndedRun } from '../../src/pipeline/stop-ended-run';

const store = runStoreFromEnv();

/** The EventBridge envelope; only what the step reads is required, the rest of AWS's event passes. */
const eventSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.looseObject({
    name: z.string().min(1),
    status: z.string().min(1),
    input: z.string().nullish(),
  }),
});

export const handler = defineHandler('StopEndedRun', eventSchema, (event) =>
  stopEndedRun(
    { sagemaker: sageMakerClient(), store, now: () => new Date() },
    { executionName: event.detail.name, status: event.detail.status, input: event.detail.input },
  ),
);
