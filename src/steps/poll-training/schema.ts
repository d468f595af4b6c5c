/** PollTraining's event, the poll loop's state and PollTraining's output. */
import * as z from 'zod';
import { priceTableSchema } from '../../contracts/prices';
import { count, idSchema } from '../../contracts/step-common';

/** The poll loop's own state (`$.polling`, carried into PollTraining's event and across continue-as-new). */
export const pollingStateSchema = z.strictObject({
  /** Polls made by this execution (continue-as-new resets it). */
  pollCount: count,
  /** Every execution of the run's chain, first one first. */
  executions: z.array(idSchema).min(1),
});
export type PollingState = z.infer<typeof pollingStateSchema>;

export const pollTrainingEventSchema = z.strictObject({
  runId: idSchema,
  executionName: idSchema,
  trainingJobName: idSchema,
  checkpointS3Uri: idSchema.optional(),
  pollSeconds: z.number().int().positive(),
  polling: pollingStateSchema,
  /** The run's budget (config.budgetUsd), or null. */
  budgetUsd: z.number().positive().nullable(),
  /** Pages Textract billed for the run's dataset (BuildDataset's textractPagesBilled), for the cost ledger. */
  textractPagesBilled: count,
  /** The run's price table (config.prices). */
  prices: priceTableSchema,
});
export type PollTrainingEvent = z.infer<typeof pollTrainingEventSchema>;

/** What the loop's Choice (and NextTrainingAttempt) reads of the job, named as DescribeTrainingJob names it. */
export const polledJobSchema = z.strictObject({
  TrainingJobStatus: z.string(),
  SecondaryStatus: z.string(),
  FailureReason: z.string().optional(),
  TrainingTimeInSeconds: z.number().optional(),
  BillableTimeInSeconds: z.number().optional(),
});
export type PolledJob = z.infer<typeof polledJobSchema>;

/** PollTraining's output (`$.polling`): the job as polled, the next wait, and the loop's decisions. */
export const pollResultSchema = z.strictObject({
  ...pollingStateSchema.shape,
  job: polledJobSchema,
  elapsedSeconds: z.number(),
  waitSeconds: z.number().int().min(0),
  /** A stop was asked for on the run record and the job is still running: the loop stops it. */
  stopRequested: z.boolean(),
  /** The projected cost passed the run's budget and the job is still running: the loop stops it (BUDGET_EXCEEDED). */
  budgetExceeded: z.boolean(),
  progressRecorded: z.boolean(),
  checkpointStale: z.boolean(),
  continueAsNew: z.boolean(),
  /** Set when continueAsNew: the next execution's name, and the chain with it. */
  nextExecutionName: idSchema.optional(),
  nextExecutions: z.array(idSchema).optional(),
});
export type PollResult = z.infer<typeof pollResultSchema>;
