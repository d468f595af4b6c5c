/** FinalizeRun: the finished training job -> terminal run record (metrics, artifact, cost or reason). */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createSageMakerClient } from '../../src/aws/sagemaker-client';
import { finalizeRunEventSchema } from '../../src/steps/finalize-run/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { finalizeRun } from '../../src/steps/finalize-run/step';

export interface FinalizeRunDeps extends RunStoreDeps {
  sagemaker: SageMakerClient;
}

export const createFinalizeRunHandler = (deps: FinalizeRunDeps) =>
  defineHandler(
    {
      name: 'FinalizeRun',
      eventSchema: finalizeRunEventSchema,
      run: (event) => finalizeRun({ sagemaker: deps.sagemaker, store: runStoreOf(deps), now: deps.now }, event),
    },
    deps,
  );

export const finalizeRunDepsFromEnv = (env: LambdaEnvironment): FinalizeRunDeps => ({
  sagemaker: createSageMakerClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createFinalizeRunHandler(finalizeRunDepsFromEnv(process.env));
