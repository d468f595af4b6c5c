/**
 * `config.training` of the execution state: what CreateTrainingJob is built from, plus where the run is
 * in its instance plan. ValidateInput resolves it (run-config.ts); the TrainingAttempt step
 * (src/steps/training-attempt/attempts.ts) moves it along the plan and hands it back, so every state that names the
 * current job (`$.config.training.jobName`: create, poll, stop, finalize) follows the current attempt.
 */
import * as z from 'zod';
import { instancePlanSchema, trainingEnvironmentSchema } from './instance-plan';
import { G5_INSTANCE_TYPES, MAX_INSTANCE_COUNT, WARM_START_POLICIES } from './settings';

/** One training attempt as the run record keeps it (`attempts`, in order). */
export const attemptRecordSchema = z.strictObject({
  attempt: z.number().int().min(1),
  jobName: z.string().min(1),
  instanceType: z.enum(G5_INSTANCE_TYPES),
  spot: z.boolean(),
  /** `Creating` until the job exists; then SageMaker's TrainingJobStatus; `CreateFailed` if it never did. */
  status: z.enum(['Creating', 'InProgress', 'Completed', 'Failed', 'Stopped', 'CreateFailed']),
  billableSeconds: z.number().int().min(0).optional(),
  trainingSeconds: z.number().int().min(0).optional(),
  failureReason: z.string().optional(),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

export const trainingConfigSchema = z.strictObject({
  /** The current attempt's job: `doctrain-<runId>-a<attempt>`. */
  jobName: z.string().min(1),
  /** The image as configured (`<repository URI>:<tag>`); CreateTrainingJob uses pre-flight's pinned `repo@sha256:...`. */
  image: z.string().min(1),
  /** A digest to pin (sha256:...), or null: pre-flight resolves the tag. */
  imageDigest: z.string().nullable(),
  roleArn: z.string().min(1),
  /** The current attempt's plan entry. */
  instanceType: z.enum(G5_INSTANCE_TYPES),
  spot: z.boolean(),
  /**
   * ResourceConfig.InstanceCount: every attempt's (the plan changes the type, not the count). Absent in the
   * config of an execution started before multi-GPU training (it goes on after a deploy): one instance.
   */
  instanceCount: z.number().int().min(1).max(MAX_INSTANCE_COUNT).default(1),
  /** The job's Environment for the current attempt's instance type: its GPU count, one trainer process each (absent: one). */
  environment: trainingEnvironmentSchema.default({ DOCTRAIN_NPROC_PER_NODE: '1' }),
  /** Shaped exactly as SageMaker's StoppingCondition: MaxWaitTimeInSeconds only with spot. */
  stoppingCondition: z.strictObject({ MaxRuntimeInSeconds: z.number().int(), MaxWaitTimeInSeconds: z.number().int().optional() }),
  maxRuntimeSeconds: z.number().int().min(60),
  maxWaitSeconds: z.number().int().min(60),
  volumeSizeGb: z.number().int(),
  /** The hyperparameters as the run was given them; the job's are CheckFingerprint's (`$.retrain.hyperparameters`: warm start added). */
  hyperparameters: z.record(z.string(), z.string()),
  /** `champion`: start from the lineage champion's weights, for warmStartEpochs (unless hyperparameters name epochs). */
  warmStart: z.enum(WARM_START_POLICIES),
  warmStartEpochs: z.number().int().min(1),
  /** The job's `model` channel (a saved pretrained model), or null for none. */
  modelChannelUri: z.string().nullable(),
  checkpointS3Uri: z.string().min(1),
  outputS3Uri: z.string().min(1),
  /** The instance plan, in order (pre-flight may drop entries the account has no quota for). */
  plan: instancePlanSchema,
  /** 1-based number of the current attempt (its job name's suffix). */
  attempt: z.number().int().min(1),
  /** Index of the current attempt's entry in `plan`. */
  planIndex: z.number().int().min(0),
  attempts: z.array(attemptRecordSchema),
  /** What the state machine does next with the current attempt: create its job, or adopt the one that exists. */
  next: z.enum(['create', 'adopt']),
  /** Wait before the next CreateTrainingJob (throttling backoff); 0 otherwise. */
  waitSeconds: z.number().int().min(0),
  /** Throttled CreateTrainingJob calls of the current attempt so far. */
  createRetries: z.number().int().min(0),
});
export type TrainingConfig = z.infer<typeof trainingConfigSchema>;

/** The job's hyperparameters: warm start adds `warm_start` and, unless the run names epochs, the warm-start epochs. */
export const jobHyperparameters = (
  hyperparameters: Readonly<Record<string, string>>,
  warmStart: boolean,
  warmStartEpochs: number,
): Record<string, string> =>
  warmStart
    ? { ...hyperparameters, warm_start: 'true', epochs: hyperparameters['epochs'] ?? String(warmStartEpochs) }
    : { ...hyperparameters };
