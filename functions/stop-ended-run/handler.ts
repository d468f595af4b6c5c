/**
 * StopEndedRun: EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT, FAILED) -> stop
 * the run's job, record its end, and notify it (NotifyRun's events: the execution that ended ran no Notify
 * state). A notification that cannot be put is logged; it never undoes the stop.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createEventBridgeClient } from '../../src/aws/eventbridge-client';
import { createSageMakerClient } from '../../src/aws/sagemaker-client';
import { executionStatusChangeEventSchema } from '../../src/steps/stop-ended-run/schema';
import { defineHandler } from '../../src/lambda/handler';
import { lineageStoreOf, runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { notifyRun } from '../../src/steps/notify-run/step';
import { stopEndedRun } from '../../src/steps/stop-ended-run/step';

export interface StopEndedRunDeps extends RunStoreDeps {
  sagemaker: SageMakerClient;
  eventBridge: EventBridgeClient;
}

export const createStopEndedRunHandler = (deps: StopEndedRunDeps) =>
  defineHandler(
    {
      name: 'StopEndedRun',
      eventSchema: executionStatusChangeEventSchema,
      run: async (event) => {
        const store = runStoreOf(deps);
        const result = await stopEndedRun(
          { sagemaker: deps.sagemaker, store, now: deps.now },
          {
            executionName: event.detail.name,
            status: event.detail.status,
            input: event.detail.input,
            error: event.detail.error,
            cause: event.detail.cause,
          },
        );
        if (result.action === 'stopped') {
          const settings = deps.settings();
          await notifyRun(
            { eventBridge: deps.eventBridge, store, lineage: lineageStoreOf(deps), eventBus: settings.DOCTRAIN_EVENT_BUS, now: deps.now },
            { runId: result.runId, bucket: settings.DOCTRAIN_BUCKET },
          ).catch((error: unknown) => deps.logger.warn('the stopped run could not be notified', { runId: result.runId, error }));
        }
        return result;
      },
    },
    deps,
  );

export const stopEndedRunDepsFromEnv = (env: LambdaEnvironment): StopEndedRunDeps => ({
  sagemaker: createSageMakerClient(),
  eventBridge: createEventBridgeClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createStopEndedRunHandler(stopEndedRunDepsFromEnv(process.env));
