/**
 * The run record in DynamoDB (docs/CONTRACTS.md section 5): its keys and the items the run store writes
 * and reads back (parsed with these schemas, never cast). One table, keys `pk`/`sk`; GSI `byStatus`.
 */
import { tuningRecordSchema } from './tuning';
import * as z from 'zod';
import { budgetStopSchema, costLedgerSchema } from './cost-ledger';
import { instancePlanSchema, quotaReadingSchema } from './instance-plan';
import { RUN_STATUSES, statusRank, type RunStatus } from './run-status';
import { TRIGGERS } from './run-config';
import { attemptRecordSchema } from './training-config';
import { promotionSchema } from './lineage';

export const RUN_SK = 'RUN';
export const runPk = (runId: string): string => `RUN#${runId}`;

/** Event sort keys group events by status rank; readers order them by `at`. */
export const eventSk = (status: RunStatus, progressKey = ''): string => `EVENT#${statusRank(status)}#${status}#${progressKey}`;

/** Why a run failed, as RecordStatus (a caught error) or FinalizeRun (the job's FailureReason) words it. */
export const runFailureSchema = z.object({ error: z.string(), message: z.string() });
export type RunFailure = z.infer<typeof runFailureSchema>;

/** A stop request on the run (`doctrain stop`): the poll loop stops the job on its next poll. */
export const stopRequestSchema = z.object({ at: z.string().min(1), by: z.string().min(1), reason: z.string().optional() });
export type StopRequest = z.infer<typeof stopRequestSchema>;

/** CheckFingerprint's decision as the run record keeps it (and the state's `$.retrain.summary`). */
export const retrainSummarySchema = z.strictObject({
  decision: z.enum(['train', 'skip']),
  reason: z.string().min(1),
  /** The run whose fingerprint this one equals, or null. */
  matchedRunId: z.string().nullable(),
  /** The champion the job is given (scored beside the challenger; warm start), or null: the lineage has none. */
  championRunId: z.string().nullable(),
  /** Whether the job starts from the champion's weights. */
  warmStart: z.boolean(),
});
export type RetrainSummary = z.infer<typeof retrainSummarySchema>;

/** The poll loop's checkpoint watchdog finding: the newest checkpoint is older than factor x interval. */
export const checkpointWarningSchema = z.object({
  /** ISO time of the newest checkpoint object, or null when there is none yet. */
  newestCheckpointAt: z.string().nullable(),
  ageSeconds: z.number(),
  thresholdSeconds: z.number(),
  message: z.string(),
});
export type CheckpointWarning = z.infer<typeof checkpointWarningSchema>;

/** The training job as the latest poll saw it (PollTraining). */
export const trainingProgressSchema = z.object({
  polledAt: z.string().min(1),
  elapsedSeconds: z.number(),
  trainingSeconds: z.number(),
  billableSeconds: z.number().nullable(),
  metrics: z.record(z.string(), z.number()),
  polls: z.number().int().min(0),
  execution: z.string().min(1),
});
export type TrainingProgress = z.infer<typeof trainingProgressSchema>;

const seconds = z.number().min(0);

/**
 * `pk = RUN#<runId>, sk = RUN`: the current state of a run, declared attribute by attribute with the step
 * that writes it. RunStore.getRun parses it once; readers use the typed fields. A key not declared here
 * (a record written by a later version) is kept as it is, untyped; test/integration/pipeline.test.ts
 * reads a whole run's record with the strict form, so an attribute a step writes and this omits fails there.
 */
export const runRecordShape = {
  pk: z.string().min(1),
  sk: z.literal(RUN_SK),
  runId: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  /** The status' rank (run-status.ts), what the transition condition compares. */
  statusRank: z.number().int(),
  createdAt: z.string().min(1),
  updatedAt: z.string().min(1),
  /** The execution that owns the run (its first write), and the one continue-as-new handed it to. */
  executionName: z.string().min(1),
  continuedBy: z.string().min(1).optional(),
  /** Every execution of the run's chain, first one first (PollTraining, RecordContinuation). */
  executions: z.array(z.string().min(1)).optional(),

  // RecordPending: what the run was started with.
  /** The execution input as given. */
  input: z.unknown().optional(),
  trigger: z.enum(TRIGGERS).optional(),
  modelName: z.string().optional(),
  instancePlan: instancePlanSchema.optional(),

  // RecordPreparing / RecordSkipped: CheckFingerprint's decision (src/steps/check-fingerprint).
  /** The training fingerprint (src/retrain/fingerprint.ts). */
  trainingFingerprint: z.string().optional(),
  retrain: retrainSummarySchema.optional(),

  // RecordPreparing: the plan's counts and pre-flight's findings.
  documentCount: z.number().int().min(0).optional(),
  quarantinedAtPlan: z.number().int().min(0).optional(),
  trainingImage: z.string().optional(),
  imageDigest: z.string().optional(),
  preflightWarnings: z.array(z.string()).optional(),
  instanceQuotas: z.array(quotaReadingSchema).optional(),

  // TrainingAttempt: the current attempt, and every attempt so far (src/steps/training-attempt/attempts.ts).
  trainingJobName: z.string().optional(),
  instanceType: z.string().optional(),
  spot: z.boolean().optional(),
  attempts: z.array(attemptRecordSchema).optional(),
  /** TrainingAttempt `started`: the dataset the job trains on (BuildDataset's pointers) and the job's ARN. */
  datasetFingerprint: z.string().optional(),
  datasetUri: z.string().optional(),
  /** The dataset's counts (BuildDataset's `counts`). */
  datasetCounts: z.record(z.string(), z.number()).optional(),
  trainingJobArn: z.string().optional(),

  // TuningJob: the run's hyperparameter tuning job (./tuning.ts), its progress and trials (FinalizeRun: all of them).
  tuning: tuningRecordSchema.optional(),

  // PollTraining: the job as polled, the cost so far, the watchdog and budget decisions.
  trainingJobStatus: z.string().optional(),
  secondaryStatus: z.string().optional(),
  progress: trainingProgressSchema.optional(),
  checkpointWarning: checkpointWarningSchema.nullable().optional(),
  /** The cost ledger: PollTraining's so far, FinalizeRun's final (src/cost/ledger.ts). */
  cost: costLedgerSchema.optional(),
  budgetStop: budgetStopSchema.optional(),
  /** `doctrain stop` (RunStore.requestStop). */
  stopRequested: stopRequestSchema.optional(),

  // FinalizeRun: the job's outcome; RecordStatus (a caught error) or FinalizeRun: the failure.
  /** The training job's final metrics. */
  metrics: z.record(z.string(), z.number()).optional(),
  modelArtifactUri: z.string().optional(),
  billableSeconds: seconds.optional(),
  trainingSeconds: seconds.optional(),
  spotSavingsPercent: z.number().optional(),
  failure: runFailureSchema.optional(),
  // PromoteModel: the challenger against the champion (src/retrain/promotion.ts).
  promotion: promotionSchema.optional(),
  /** StopEndedRun: the execution ended (aborted, timed out, failed) while the run was not terminal. */
  stoppedBecause: z.string().optional(),
};
export const runRecordSchema = z.looseObject(runRecordShape);
export type RunRecord = z.infer<typeof runRecordSchema>;
/** The record with nothing undeclared: what the tests hold a run's whole record to. */
export const strictRunRecordSchema = z.strictObject(runRecordShape);

/** The keys the store itself writes on every change (RunStore.writeStatusChange); a step never sets them. */
export const STORE_KEYS = ['pk', 'sk', 'runId', 'status', 'statusRank', 'createdAt', 'updatedAt', 'executionName'] as const;
const storeKeys = Object.fromEntries(STORE_KEYS.map((key) => [key, true])) as { [K in (typeof STORE_KEYS)[number]]: true };

/** What a step may merge into the record: any declared attribute but the store's keys (RecordStatus parses the ASL's with this). */
export const runAttributesSchema = z.strictObject(runRecordShape).omit(storeKeys).partial();
export type RunAttributes = z.infer<typeof runAttributesSchema>;

/** `pk = RUN#<runId>, sk = EVENT#…`: one append-only status event. */
export const runEventItemSchema = z.looseObject({
  eventStatus: z.enum(RUN_STATUSES),
  at: z.string().min(1),
  progressKey: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
