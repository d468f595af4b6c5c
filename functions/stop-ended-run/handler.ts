/** StopEndedRun: EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT) -> stop the run's job. */
import { sageMakerClient } from '../../src/aws/sagemaker-client';
import { executionStatusChangeEventSchema } from '../../src/contracts/step-events';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { stopEndedRun } from '../../src/pipeline/stop-ended-run';

const store = runStoreFromEnv();

export const handler = defineHandler('StopEndedRun', executionStatusChangeEventSchema, (event) =>
  stopEndedRun(
    { sagemaker: sageMakerClient(), store, now: () => new Date() },
    { executionName: event.detail.name, status: event.detail.status, input: event.detail.input },
  ),
);
