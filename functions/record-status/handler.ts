/** RecordStatus: the DynamoDB status writer used by every Record* state. */
import { z } from 'zod';
import { createDynamoDocumentClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv } from '../../src/lambda/observability';
import { runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import { deploymentSettingsFromEnv, type LambdaEnvironment } from '../../src/lambda/wiring';
import { recordRunStatus } from '../../src/pipeline/record-status';
import { RUN_STATUSES } from '../../src/status/run-status';

const eventSchema = z.strictObject({
  runId: z.string().min(1),
  executionName: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  attributes: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  poll: z
    .object({
      TrainingJobStatus: z.string(),
      SecondaryStatus: z.string().optional(),
      SecondaryStatusTransitions: z
        .array(z.object({ Status: z.string().optional(), StatusMessage: z.string().optional() }).loose())
        .optional(),
    })
    .optional(),
});

export const createRecordStatusHandler = (deps: RunStoreDeps) =>
  defineHandler({ name: 'RecordStatus', eventSchema, run: (event) => recordRunStatus({ store: runStoreOf(deps), now: deps.now }, event) }, deps);

export const recordStatusDepsFromEnv = (env: LambdaEnvironment): RunStoreDeps => ({
  dynamo: createDynamoDocumentClient(),
  settings: deploymentSettingsFromEnv(env),
  now: () => new Date(),
  ...observabilityFromEnv(env),
});

export const handler = createRecordStatusHandler(recordStatusDepsFromEnv(process.env));
