/** TuningJob: the run's hyperparameter tuning job, prepared and polled (src/steps/tuning-job/step.ts). */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createSageMakerClient } from '../../src/aws/sagemaker-client';
import { tuningJobEventSchema } from '../../src/steps/tuning-job/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { tuningJobStep } from '../../src/steps/tuning-job/step';

export interface TuningJobHandlerDeps extends RunStoreDeps {
  sagemaker: SageMakerClient;
}

export const createTuningJobHandler = (deps: TuningJobHandlerDeps) => {
  const { logger } = deps;
  return defineHandler(
    {
      name: 'TuningJob',
      eventSchema: tuningJobEventSchema,
      run: (event) =>
        tuningJobStep(
          {
            sagemaker: deps.sagemaker,
            store: runStoreOf(deps),
            now: deps.now,
            maxPollSeconds: deps.settings().DOCTRAIN_MAX_POLL_SECONDS,
            onProgressError: (error) =>
              logger.error('tuning progress not recorded; the loop goes on and records on the next poll', { error }),
          },
          event,
        ),
    },
    deps,
  );
};

export const tuningJobDepsFromEnv = (env: LambdaEnvironment): TuningJobHandlerDeps => ({
  sagemaker: createSageMakerClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createTuningJobHandler(tuningJobDepsFromEnv(process.env));
