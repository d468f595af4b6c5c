/** RecordStatus: the DynamoDB status writer used by every Record* state. */
import * as z from 'zod';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { recordStatus } from '../../src/pipeline/record-status';
import { RUN_STATUSES } from '../../src/status/run-status';

const store = runStoreFromEnv();

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

export const handler = defineHandler('RecordStatus', eventSchema, (event) =>
  recordStatus({ store, now: () => new Date() }, event),
);
