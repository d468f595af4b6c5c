/** TrainingAttempt: moves the run along its instance plan and records every attempt (src/steps/training-attempt/step.ts). */
import { trainingAttemptEventSchema } from '../../src/steps/training-attempt/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { trainingAttemptStep } from '../../src/steps/training-attempt/step';

export const createTrainingAttemptHandler = (deps: RunStoreDeps) =>
  defineHandler(
    {
      name: 'TrainingAttempt',
      eventSchema: trainingAttemptEventSchema,
      run: (event) => trainingAttemptStep({ store: runStoreOf(deps), now: deps.now }, event),
    },
    deps,
  );

export const trainingAttemptDepsFromEnv = (env: LambdaEnvironment): RunStoreDeps => runStoreDepsFromEnv(env);

export const handler = createTrainingAttemptHandler(trainingAttemptDepsFromEnv(process.env));
