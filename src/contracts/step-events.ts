/**
 * Every step's event (what the state machine sends each Lambda: the keys of its Task's Parameters or the
 * Map's ItemSelector) and every step's output that the state machine passes on (ResultPath `$.config`,
 * `$.plan`, `$.ocr`, `$.dataset`, `$.outcome`), as zod schemas; the TypeScript types are inferred.
 * functions/<name>/handler.ts parses its event with the schema named here; test/unit/contracts/
 * step-events.test.ts checks these against statemachines/train-pipeline.asl.yml (each Task's Parameters
 * are its event's keys; each `$.<output>.<field>` the ASL reads is a field of that step's output).
 */
import * as z from 'zod';
import { RUN_STATUSES } from './run-status';
import { textractTpsSchema } from './textract-tps';
import { instancePlanSchema } from './instance-plan';
import { trainingConfigSchema } from './training-config';
import { priceTableSchema } from './prices';

const bucketSchema = z.string().min(3);
const idSchema = z.string().min(1);
const count = z.number().int().min(0);

/** What every step that works on a run's S3 objects is told: where they are. */
const runObjects = { bucket: bucketSchema, runId: idSchema, runPrefix: idSchema };

// ---- ValidateInput ----------------------------------------------------------------------------------

/** What started the run (execution input `trigger`). */
export const TRIGGERS = ['manual', 'schedule', 'cli', 'local'] as const;

/** ValidateInput's event: the raw execution input (parsed by executionInputSchema, ./execution-input.ts, inside the step). */
export const validateInputEventSchema = z.object({ input: z.unknown(), executionName: idSchema });

/** The resolved run config: ValidateInput's output (`$.config`), read by every later state. Small: no document lists. */
export const runConfigSchema = z.strictObject({
  runId: idSchema,
  trigger: z.enum(TRIGGERS),
  modelName: idSchema,
  bucket: bucketSchema,
  documentsPrefix: z.string(),
  /** Every object this run writes lives under here (s3-layout runPrefix). */
  runPrefix: idSchema,
  dataset: z.strictObject({
    validationFraction: z.number(),
    batchSize: z.number().int().min(1),
    /** The OCR Map's MaxConcurrency. */
    ocrConcurrency: z.number().int().min(1),
    /** The account's Textract quotas this run keeps to, all iterations together. */
    textractTps: textractTpsSchema,
    /** One OCR Map iteration's share: textractTps / ocrConcurrency (each iteration is its own process on AWS). */
    textractTpsPerBatch: textractTpsSchema,
    /** Above this share of quarantined documents the run fails instead of training on the rest. */
    maxQuarantineShare: z.number().min(0).max(1),
    /** Write page images under the dataset's `images/` and pass them as the job's `images` channel. */
    pageImages: z.boolean(),
  }),
  /** The current training attempt and the instance plan (./training-config.ts). */
  training: trainingConfigSchema,
  pollSeconds: z.number().int().min(1),
  /** The run's cost budget in USD, or null: none (src/cost/ledger.ts; the poll loop stops the job past it). */
  budgetUsd: z.number().positive().nullable(),
  /** The price table the run's cost ledger bills with, fixed for the run when it starts (the prices setting over the defaults). */
  prices: priceTableSchema,
});
export type RunConfig = z.infer<typeof runConfigSchema>;

export const validateInputOutputSchema = z.strictObject({ config: runConfigSchema });

// ---- PlanBatches ------------------------------------------------------------------------------------

export const planBatchesEventSchema = z.strictObject({
  ...runObjects,
  documentsPrefix: idSchema,
  batchSize: z.number().int().min(1),
});
export type PlanBatchesEvent = z.infer<typeof planBatchesEventSchema>;

/**
 * PlanBatches' output (`$.plan`): a pointer and counts, the same size for 10 documents or 100,000 (256 KB
 * state limit). The OCR Distributed Map reads its items from `itemsKey` in S3 (ItemReader); each item
 * names one batch, and every step derives the batch's S3 keys from the run prefix.
 */
export const planResultSchema = z.strictObject({
  /** The ItemReader object (s3-layout ocrMapItemsKey): one item per batch. */
  itemsKey: idSchema,
  /** The Map's ResultWriter Prefix (s3-layout ocrMapResultsPrefix): every child execution's status and error. */
  resultsPrefix: idSchema,
  batchCount: count,
  documentCount: count,
  quarantinedCount: count,
});
export type PlanResult = z.infer<typeof planResultSchema>;

// ---- OcrBatch / CollectTextractJobs (one OCR Map iteration) -----------------------------------------

/** The parameters of OcrBatch and CollectTextractJobs as domain functions (a lone caller may omit the TPS share). */
export const ocrBatchParamsSchema = z.strictObject({
  ...runObjects,
  batchIndex: z.number().int().min(0),
  /**
   * This iteration's share of the Textract TPS quotas (the run config's `dataset.textractTpsPerBatch`).
   * Absent: the client region's whole default quota, right for a lone caller only.
   */
  textractTps: textractTpsSchema.optional(),
});
export type OcrBatchParams = z.infer<typeof ocrBatchParamsSchema>;

/** The event of OcrBatch and CollectTextractJobs: the Map passes each iteration its TPS share, so it is required. */
export const ocrBatchEventSchema = ocrBatchParamsSchema.required({ textractTps: true });

/** Both steps' output (`$.ocr` inside the Map): small, fixed size, whatever the batch holds. */
export const ocrBatchSummarySchema = z.strictObject({
  batchIndex: z.number().int().min(0),
  resultKey: idSchema,
  documents: count,
  quarantined: count,
  cacheHits: count,
  pagesBilled: count,
  /** Async Textract jobs still running: the state machine waits `waitSeconds` and collects while > 0. */
  pendingJobs: count,
  waitSeconds: z.number().int().min(0),
});
export type OcrBatchSummary = z.infer<typeof ocrBatchSummarySchema>;

// ---- BuildDataset -----------------------------------------------------------------------------------

export const buildDatasetEventSchema = z.strictObject({
  ...runObjects,
  /** How many batches PlanBatches wrote: exactly their results are read, never a stale leftover. */
  batchCount: z.number().int().min(1),
  validationFraction: z.number().gt(0).lt(1),
  /** The run fails (QuarantineShareExceededError) when more than this share of its documents is quarantined. */
  maxQuarantineShare: z.number().min(0).max(1),
  /** Write each PNG/JPEG document's page image under the dataset's `images/` (execution input dataset.pageImages). */
  pageImages: z.boolean(),
  /** A saved pretrained model for the job's `model` channel (training.modelChannelUri), or null. */
  modelChannelUri: z.string().startsWith('s3://').nullable(),
});
export type BuildDatasetEvent = z.infer<typeof buildDatasetEventSchema>;

/** One entry of CreateTrainingJob's InputDataConfig. */
export const trainingChannelSchema = z.strictObject({
  ChannelName: idSchema,
  ContentType: idSchema,
  DataSource: z.strictObject({
    S3DataSource: z.strictObject({
      S3DataType: z.literal('S3Prefix'),
      S3DataDistributionType: z.literal('FullyReplicated'),
      S3Uri: z.string().startsWith('s3://'),
    }),
  }),
});
export type TrainingChannel = z.infer<typeof trainingChannelSchema>;

/** BuildDataset's output (`$.dataset`): S3 pointers only. */
export const datasetPointersSchema = z.strictObject({
  fingerprint: idSchema,
  prefix: idSchema,
  trainS3Uri: idSchema,
  validationS3Uri: idSchema,
  labelsS3Uri: idSchema,
  manifestS3Uri: idSchema,
  /** This run's manifest: the same schema, with this run's cache hits, pages billed and quarantine. */
  runManifestS3Uri: idSchema,
  /** The dataset's page images prefix, or null when this run wrote none (dataset.pageImages false). */
  imagesS3Uri: z.string().nullable(),
  /** CreateTrainingJob's InputDataConfig (ASL cannot add the optional images/model channels itself). */
  inputDataConfig: z.array(trainingChannelSchema),
  counts: z.strictObject({ documents: count, train: count, validation: count, quarantined: count }),
  /** Pages Textract billed this run (cache hits bill none): the cost ledger's Textract line. */
  textractPagesBilled: count,
});
export type DatasetPointers = z.infer<typeof datasetPointersSchema>;

// ---- RecordStatus -----------------------------------------------------------------------------------

/** A Catch's error output ({Error, Cause}). */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof caughtErrorSchema>;

/** A Lambda error's Cause: JSON `{errorType, errorMessage, trace}` (a service integration's Cause is plain text). */
export const lambdaErrorCauseSchema = z.object({ errorMessage: z.string() });

export const recordStatusEventSchema = z.strictObject({
  runId: idSchema,
  executionName: idSchema,
  status: z.enum(RUN_STATUSES),
  attributes: z.record(z.string(), z.unknown()).optional(),
  error: caughtErrorSchema.optional(),
});
export type RecordStatusEvent = z.infer<typeof recordStatusEventSchema>;

/** RecordStatus' output (discarded by the ASL: ResultPath null). */
export const recordStatusResultSchema = z.strictObject({ runId: idSchema, status: z.enum(RUN_STATUSES) });
export type RecordStatusResult = z.infer<typeof recordStatusResultSchema>;

// ---- FinalizeRun ------------------------------------------------------------------------------------

export const finalizeRunEventSchema = z.strictObject({
  runId: idSchema,
  executionName: idSchema,
  trainingJobName: idSchema,
  /**
   * Sent by the ASL's FinalizeRun Parameters and not read by the step. Kept accepted: the schema is
   * strict, so dropping it would reject the packaged state machine's event (statemachines/ owns that).
   */
  datasetFingerprint: z.string().optional(),
  /** The run's price table (config.prices), for the final cost ledger. */
  prices: priceTableSchema,
});
export type FinalizeRunEvent = z.infer<typeof finalizeRunEventSchema>;

/** FinalizeRun's output (`$.outcome`): the execution's output when the run COMPLETED. */
export const runOutcomeSchema = z.strictObject({
  /**
   * STOPPED: the job ended Stopped after a stop request on the run (`doctrain stop`); BUDGET_EXCEEDED: the
   * poll loop stopped it because the projected cost passed the run's budget; FAILED: any other non-completion.
   */
  status: z.enum(['COMPLETED', 'FAILED', 'STOPPED', 'BUDGET_EXCEEDED']),
  trainingJobStatus: z.string(),
  failureReason: z.string().optional(),
  metrics: z.record(z.string(), z.number()),
  modelArtifactUri: z.string().optional(),
});
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

// ---- Preflight --------------------------------------------------------------------------------------

/** Preflight's event: the configured image, a digest to pin (or null), the instance plan to check. */
export const preflightEventSchema = z.strictObject({
  image: idSchema,
  imageDigest: z.string().nullable(),
  plan: instancePlanSchema,
});
export type PreflightEvent = z.infer<typeof preflightEventSchema>;

/** One SageMaker quota read for a plan entry. */
export const quotaReadingSchema = z.strictObject({ entry: z.string(), quotaName: z.string(), quotaCode: z.string(), value: z.number() });
export type QuotaReading = z.infer<typeof quotaReadingSchema>;

/** Preflight's output (`$.preflight`): the digest-pinned image and the plan the account has quota for. */
export const preflightResultSchema = z.strictObject({
  /** `repository@sha256:...`, what CreateTrainingJob runs. */
  image: idSchema,
  imageDigest: idSchema,
  imageTag: z.string().optional(),
  /** The instance plan with every entry the account has no quota for removed. */
  plan: instancePlanSchema,
  quotas: z.array(quotaReadingSchema),
  warnings: z.array(z.string()),
});
export type PreflightResult = z.infer<typeof preflightResultSchema>;

// ---- TrainingAttempt --------------------------------------------------------------------------------

const attemptCommon = { runId: idSchema, executionName: idSchema, training: trainingConfigSchema };

/** TrainingAttempt's event, one shape per `action`; its output is the updated `config.training` (trainingConfigSchema). */
export const trainingAttemptEventSchema = z.discriminatedUnion('action', [
  /** After BuildDataset: the first entry of the plan pre-flight kept. */
  z.strictObject({ action: z.literal('first'), ...attemptCommon, plan: instancePlanSchema }),
  /** CreateTrainingJob answered (or the job was adopted): the run is TRAINING on this attempt. */
  z.strictObject({ action: z.literal('started'), ...attemptCommon, attributes: z.record(z.string(), z.unknown()).optional() }),
  /** CreateTrainingJob failed: the caught error. */
  z.strictObject({ action: z.literal('createFailed'), ...attemptCommon, error: z.object({ Error: z.string(), Cause: z.string().optional() }) }),
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

// ---- PollTraining -----------------------------------------------------------------------------------

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

// ---- StopEndedRun (EventBridge, not the state machine) ----------------------------------------------

/** EventBridge's "Step Functions Execution Status Change" envelope; only what the step reads is required. */
export const executionStatusChangeEventSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.looseObject({
    name: idSchema,
    status: idSchema,
    input: z.string().nullish(),
  }),
});
export type ExecutionStatusChangeEvent = z.infer<typeof executionStatusChangeEventSchema>;
