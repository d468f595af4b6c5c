/** TrainingAttempt's event (its output is the updated `config.training`, trainingConfigSchema). */
import * as z from 'zod';
import { instancePlanSchema } from '../../contracts/instance-plan';
import { trainingConfigSchema } from '../../contracts/training-config';
import { runAttributesSchema } from '../../contracts/run-record';
import { caughtErrorSchema, idSchema } from '../../contracts/step-common';

const attemptCommon = { runId: idSchema, executionName: idSchema, training: trainingConfigSchema };

/** TrainingAttempt's event, one shape per `action`; its output is the updated `config.training` (trainingConfigSchema). */
export const trainingAttemptEventSchema = z.discriminatedUnion('action', [
  /** After BuildDataset: the first entry of the plan pre-flight kept. */
  z.strictObject({ action: z.literal('first'), ...attemptCommon, plan: instancePlanSchema }),
  /** CreateTrainingJob answered (or the job was adopted): the run is TRAINING on this attempt. */
  z.strictObject({ action: z.literal('started'), ...attemptCommon, attributes: runAttributesSchema.optional() }),
  /** CreateTrainingJob failed: the caught error. */
  z.strictObject({ action: z.literal('createFailed'), ...attemptCommon, error: caughtErrorSchema }),
  /** The poll loop saw the job end for capacity: its last DescribeTrainingJob. */
  z.strictObject({
    action: z.literal('jobFailed'),
    ...attemptCommon,
    job: z
      .object({
        TrainingJobStatus: z.string(),
        FailureReason: z.string().optional(),
        SecondaryStatus: z.string().optional(),
        BillableTimeInSeconds: z.number().optional(),
        TrainingTimeInSeconds: z.number().optional(),
      })
      .loose(),
  }),
]);
export type TrainingAttemptEvent = z.infer<typeof trainingAttemptEventSchema>;
