/**
 * The run record in DynamoDB (docs/CONTRACTS.md section 5): its keys and the items the run store writes
 * and reads back (parsed with these schemas, never cast). One table, keys `pk`/`sk`; GSI `byStatus`.
 */
import * as z from 'zod';
import { RUN_STATUSES, statusRank, type RunStatus } from './run-status';

export const RUN_SK = 'RUN';
export const runPk = (runId: string): string => `RUN#${runId}`;

/** Event sort keys group events by status rank; readers order them by `at`. */
export const eventSk = (status: RunStatus, progressKey = ''): string => `EVENT#${statusRank(status)}#${status}#${progressKey}`;

/** `pk = RUN#<runId>, sk = RUN`: the current state of a run, plus whatever attributes the steps recorded. */
export const runRecordSchema = z.looseObject({
  runId: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  createdAt: z.string().min(1),
  updatedAt: z.string().min(1),
  /** The training job's final metrics (FinalizeRun). */
  metrics: z.record(z.string(), z.number()).optional(),
  /** The dataset's counts (RecordTraining: BuildDataset's `counts`). */
  datasetCounts: z.record(z.string(), z.number()).optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

/** `pk = RUN#<runId>, sk = EVENT#…`: one append-only status event. */
export const runEventItemSchema = z.looseObject({
  eventStatus: z.enum(RUN_STATUSES),
  at: z.string().min(1),
  progressKey: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
