/** TrainingAttempt: moves the run along its instance plan and records every attempt (src/training/attempt-step.ts). */
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { trainingAttemptEventSchema } from '../../src/contracts/step-events';
import { trainingAttemptStep } from '../../src/training/attempt-step';

const store = runStoreFromEnv();

export const handler = defineHandler('TrainingAttempt', trainingAttemptEventSchema, (event) => trainingAttemptStep({ store, now: () => new Date() }, event));
