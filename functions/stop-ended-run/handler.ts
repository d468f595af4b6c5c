/** StopEndedRun: EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT) -> stop the run's job. */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createSageMakerClient } from '../../src/aws/sagemaker-client';
import { executionStatusChangeEventSchema } from '../../src/steps/stop-ended-run/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { stopEndedRun } from '../../src/steps/stop-ended-run/step';

export interface StopEndedRunDeps extends RunStoreDeps {
  sagemaker: SageMakerClient;
}

export const createStopEndedRunHandler = (deps: StopEndedRunDeps) =>
  defineHandler(
    {
      name: 'StopEndedRun',
      eventSchema: executionStatusChangeEventSchema,
      run: (event) =>
        stopEndedRun(
          { sagemaker: deps.sagemaker, store: runStoreOf(deps), now: deps.now },
          { executionName: event.detail.name, status: event.detail.status, input: event.detail.input },
        ),
    },
    deps,
  );

export const stopEndedRunDepsFromEnv = (env: LambdaEnvironment): StopEndedRunDeps => ({
  sagemaker: createSageMakerClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createStopEndedRunHandler(stopEndedRunDepsFromEnv(process.env));
