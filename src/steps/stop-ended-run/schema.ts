/** StopEndedRun's event (EventBridge, not the state machine). */
import * as z from 'zod';
import { idSchema } from '../../contracts/step-common';

/** EventBridge's "Step Functions Execution Status Change" envelope; only what the step reads is required. */
export const executionStatusChangeEventSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.looseObject({
    name: idSchema,
    status: idSchema,
    input: z.string().nullish(),
    /** A FAILED execution's error and cause (the ExecutionFailed event's); absent or null otherwise. */
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChangeEvent = z.infer<typeof executionStatusChangeEventSchema>;
