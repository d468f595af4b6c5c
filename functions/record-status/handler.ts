/** RecordStatus: the DynamoDB status writer used by every Record* state. */
import { recordStatusEventSchema } from '../../src/steps/record-status/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { recordRunStatus } from '../../src/steps/record-status/step';

export const createRecordStatusHandler = (deps: RunStoreDeps) =>
  defineHandler(
    {
      name: 'RecordStatus',
      eventSchema: recordStatusEventSchema,
      run: (event) => recordRunStatus({ store: runStoreOf(deps), now: deps.now }, event),
    },
    deps,
  );

export const recordStatusDepsFromEnv = (env: LambdaEnvironment): RunStoreDeps => runStoreDepsFromEnv(env);

export const handler = createRecordStatusHandler(recordStatusDepsFromEnv(process.env));
