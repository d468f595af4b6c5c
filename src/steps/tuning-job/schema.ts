/** TuningJob's events and outputs: `prepare` before CreateHyperParameterTuningJob, `poll` in its wait loop. */
import * as z from 'zod';
import { runAttributesSchema } from '../../contracts/run-record';
import { idSchema } from '../../contracts/step-common';
import { tuningConfigSchema } from '../../contracts/tuning';

const common = { runId: idSchema, executionName: idSchema, tuning: tuningConfigSchema };

export const tuningJobEventSchema = z.discriminatedUnion('action', [
  /** After BuildDataset: the trials' static hyperparameters; the run is TRAINING (tuning) from here. */
  z.strictObject({
    action: z.literal('prepare'),
    ...common,
    /** The job hyperparameters CheckFingerprint decided ($.retrain.hyperparameters: warm start included). */
    hyperparameters: z.record(z.string(), z.string()),
    /** The loop's first wait. */
    pollSeconds: z.number().int().min(1),
    attributes: runAttributesSchema.optional(),
  }),
  /** One poll: DescribeHyperParameterTuningJob, progress on the run record, the next wait. */
  z.strictObject({
    action: z.literal('poll'),
    ...common,
    pollSeconds: z.number().int().min(1),
    pollCount: z.number().int().min(0),
    /** When the loop's first poll ran (ISO-8601): the waits grow with the job's age (src/polling/schedule.ts). */
    startedAt: z.string().min(1).nullable(),
  }),
]);
export type TuningJobEvent = z.infer<typeof tuningJobEventSchema>;
export type PrepareTuningEvent = Extract<TuningJobEvent, { action: 'prepare' }>;
export type PollTuningEvent = Extract<TuningJobEvent, { action: 'poll' }>;

/** `prepare`'s output (`$.tuning`): what CreateHyperParameterTuningJob and the loop's first wait read. */
export const preparedTuningSchema = z.strictObject({
  staticHyperParameters: z.record(z.string(), z.string()),
  poll: z.strictObject({
    status: z.literal('Creating'),
    pollCount: z.literal(0),
    waitSeconds: z.number().int().min(1),
    startedAt: z.null(),
  }),
});
export type PreparedTuning = z.infer<typeof preparedTuningSchema>;

/** `poll`'s output (`$.tuning.poll`): the status the loop's Choice reads, and the best trial once there is one. */
export const tuningPollSchema = z.strictObject({
  /** SageMaker's HyperParameterTuningJobStatus: Completed, InProgress, Failed, Stopping, Stopped, Deleting, DeleteFailed. */
  status: z.string().min(1),
  pollCount: z.number().int().min(1),
  waitSeconds: z.number().int().min(1),
  startedAt: z.string().min(1),
  bestTrainingJobName: z.string().nullable(),
  failureReason: z.string().nullable(),
  /** A stop request on the run record (`doctrain stop`): the loop stops the tuning job; once Stopped the run is STOPPED. */
  stopRequested: z.boolean(),
});
export type TuningPoll = z.infer<typeof tuningPollSchema>;
