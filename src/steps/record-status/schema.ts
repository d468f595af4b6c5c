/** RecordStatus' event and output. */
import * as z from 'zod';
import { RUN_STATUSES } from '../../contracts/run-status';
import { runAttributesSchema } from '../../contracts/run-record';
import { caughtErrorSchema, idSchema } from '../../contracts/step-common';

export const recordStatusEventSchema = z.strictObject({
  runId: idSchema,
  executionName: idSchema,
  status: z.enum(RUN_STATUSES),
  attributes: runAttributesSchema.optional(),
  error: caughtErrorSchema.optional(),
});
export type RecordStatusEvent = z.infer<typeof recordStatusEventSchema>;

/** RecordStatus' output (discarded by the ASL: ResultPath null). */
export const recordStatusResultSchema = z.strictObject({ runId: idSchema, status: z.enum(RUN_STATUSES) });
export type RecordStatusResult = z.infer<typeof recordStatusResultSchema>;
