/** TrainingAttempt: moves the run along its instance plan and records every attempt (src/training/attempt-step.ts). */
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { attemptEventSchema, trainingAttemptStep } from '../../src/training/attempt-step';

const store = runStoreFromEnv();

export const handler = defineHandler('TrainingAttempt', attemptEventSchema, (event) => trainingAttemptStep({ store, now: () => new Date() }, event));
