/**
 * The one typed config of a run. Three layers, later wins:
 *   1. built-in defaults (below),
 *   2. the stage's deployment settings (environment of the ValidateInput function, set in serverless.yml),
 *   3. the execution input (StartExecution / schedule / CLI), validated strictly: unknown keys are errors.
 * The resolved config travels in the execution state, so it must stay small (no document lists).
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors';
import {
  defaultTextractQuotas,
  ocrConcurrencyFor,
  splitTextractTps,
  type TextractTps,
} from '../textract/throughput';
import { MIN_POLL_SECONDS } from '../polling/schedule';
import { parseOrThrow } from '../validation';
import { checkHyperparameters } from './hyperparameters';
import { G5_INSTANCE_TYPES, deploymentSettingsSchema, s3UriSchema, type DeploymentSettings } from './settings';

export { G5_INSTANCE_TYPES, deploymentSettingsSchema, type DeploymentSettings } from './settings';

/** On-demand USD/hour in us-east-1 (2026 list prices); used for the cost estimate only. */
export const ON_DEMAND_PRICE_PER_HOUR: Readonly<Record<string, number>> = {
  'ml.g5.xlarge': 1.408,
  'ml.g5.2xlarge': 1.515,
  'ml.g5.4xlarge': 2.03,
  'ml.g5.8xlarge': 3.06,
  'ml.g5.12xlarge': 7.09,
  'ml.g5.16xlarge': 6.12,
  'ml.g5.24xlarge': 10.18,
  'ml.g5.48xlarge': 20.36,
};

const hyperparameterValue = z.union([z.string(), z.number(), z.boolean()]);
/** An s3:// URI with a bucket and a key (prefix). */
const hyperparameterName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'hyperparameter names are snake_case');

/** What an execution input may say. Every key is optional; unknown keys are rejected. */
export const executionInputSchema = z.strictObject({
  runId: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,47}$/,
      'lowercase letters, digits and dashes, at most 48 characters (it names the SageMaker job, whose names ignore case)',
    )
    .optional(),
  trigger: z.enum(['manual', 'schedule', 'cli', 'local']).optional(),
  modelName: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a lowercase letter or digit, then lowercase letters, digits and dashes; at most 32 characters')
    .optional(),
  documentsPrefix: z
    .string()
    .min(1)
    .regex(/^[^/].*\/$/, 'a key prefix ending with "/" and not starting with "/" (e.g. "documents/")')
    .optional(),
  dataset: z
    .strictObject({
      validationFraction: z.number().gt(0).lt(1).optional(),
      batchSize: z.number().int().min(1).max(100).optional(),
      /** Largest share of the documents that may be quarantined before the run fails (1 = never fails). */
      maxQuarantineShare: z.number().min(0).max(1).optional(),
      /** Copy each PNG/JPEG document as its page image for the trainer's `images` channel (LayoutLMv3). */
      pageImages: z.boolean().optional(),
    })
    .optional(),
  training: z
    .strictObject({
      instanceType: z.enum(G5_INSTANCE_TYPES).optional(),
      spot: z.boolean().optional(),
      maxRuntimeSeconds: z.number().int().min(60).max(28 * 24 * 3600).optional(),
      maxWaitSeconds: z.number().int().min(60).max(28 * 24 * 3600).optional(),
      volumeSizeGb: z.number().int().min(1).max(512).optional(),
      /** Checked against the trainer's schema and SageMaker's limits (./hyperparameters.ts). */
      hyperparameters: z.record(hyperparameterName, hyperparameterValue).superRefine(checkHyperparameters).optional(),
      /** A saved pretrained model (folder prefix or .tar.gz) passed to the job as its `model` channel. */
      modelChannelUri: s3UriSchema.optional(),
    })
    .optional(),
  /** The poll loop's shortest wait; the floor keeps the loop inside its history budget (src/polling/schedule.ts). */
  pollSeconds: z.number().int().min(MIN_POLL_SECONDS).max(3600).optional(),
});
export type ExecutionInput = z.infer<typeof executionInputSchema>;


export const readDeploymentSettings = (env: NodeJS.ProcessEnv = process.env): DeploymentSettings =>
  parseOrThrow(deploymentSettingsSchema, env, 'deployment settings (function environment)');

export interface ResolvedRunConfig {
  runId: string;
  trigger: 'manual' | 'schedule' | 'cli' | 'local';
  modelName: string;
  bucket: string;
  documentsPrefix: string;
  /** Every object this run writes lives under here (OCR batch results, reports). */
  runPrefix: string;
  dataset: {
    validationFraction: number;
    batchSize: number;
    /** The OCR Map's MaxConcurrency. */
    ocrConcurrency: number;
    /** The account's Textract quotas this run keeps to, all iterations together. */
    textractTps: TextractTps;
    /** One OCR Map iteration's share: textractTps / ocrConcurrency (each iteration is its own process on AWS). */
    textractTpsPerBatch: TextractTps;
    /** Above this share of quarantined documents the run fails instead of training on the rest. */
    maxQuarantineShare: number;
    /** Write page images under the dataset's `images/` and pass them as the job's `images` channel. */
    pageImages: boolean;
  };
  training: {
    jobName: string;
    image: string;
    roleArn: string;
    instanceType: string;
    spot: boolean;
    /** Shaped exactly as SageMaker's StoppingCondition: MaxWaitTimeInSeconds only with spot. */
    stoppingCondition: { MaxRuntimeInSeconds: number; MaxWaitTimeInSeconds?: number };
    volumeSizeGb: number;
    hyperparameters: Record<string, string>;
    /** The job's `model` channel (a saved pretrained model), or null for none. */
    modelChannelUri: string | null;
    checkpointS3Uri: string;
    outputS3Uri: string;
  };
  pollSeconds: number;
}

/**
 * SageMaker job names: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, unique regardless of case. Run ids are
 * lowercase and at most 48 characters, so the name is never truncated (9 + 48 + 5 <= 63) and two runs
 * never share a job.
 */
export const trainingJobName = (runId: string, attempt: number): string => `doctrain-${runId}-a${attempt}`;

/** Execution names may hold characters run ids may not; keep the safe ones, lowercased and bounded. */
export const runIdFromExecutionName = (executionName: string): string => {
  const cleaned = executionName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (cleaned.length > 0 ? cleaned : 'run').slice(0, 48).replace(/-+$/, '');
};

/** The region's default quotas, each overridden by its setting where one is given. */
export const textractQuotas = (settings: DeploymentSettings): TextractTps => {
  const defaults = defaultTextractQuotas(settings.AWS_REGION);
  return {
    DetectDocumentText: settings.DOCTRAIN_TEXTRACT_TPS_DETECT_DOCUMENT_TEXT ?? defaults.DetectDocumentText,
    AnalyzeDocument: settings.DOCTRAIN_TEXTRACT_TPS_ANALYZE_DOCUMENT ?? defaults.AnalyzeDocument,
    StartDocumentTextDetection: settings.DOCTRAIN_TEXTRACT_TPS_START_DOCUMENT_TEXT_DETECTION ?? defaults.StartDocumentTextDetection,
    GetDocumentTextDetection: settings.DOCTRAIN_TEXTRACT_TPS_GET_DOCUMENT_TEXT_DETECTION ?? defaults.GetDocumentTextDetection,
  };
};

export const resolveRunConfig = (
  settings: DeploymentSettings,
  rawInput: unknown,
  executionName: string,
): ResolvedRunConfig => {
  const input = parseOrThrow(executionInputSchema, rawInput ?? {}, 'execution input');
  const runId = input.runId ?? runIdFromExecutionName(executionName);
  const modelName = input.modelName ?? settings.DOCTRAIN_MODEL_NAME;
  const spot = input.training?.spot ?? settings.DOCTRAIN_SPOT;
  const maxRuntime = input.training?.maxRuntimeSeconds ?? settings.DOCTRAIN_MAX_RUNTIME_SECONDS;
  const maxWait = input.training?.maxWaitSeconds ?? settings.DOCTRAIN_MAX_WAIT_SECONDS;
  if (spot && maxWait < maxRuntime) {
    throw new InvalidInputError(
      `Invalid execution input: training.maxWaitSeconds (${maxWait}) must be >= training.maxRuntimeSeconds (${maxRuntime}) for spot training; raise maxWaitSeconds or lower maxRuntimeSeconds`,
    );
  }
  const hyperparameters = Object.fromEntries(
    Object.entries(input.training?.hyperparameters ?? {}).map(([k, v]) => [k, String(v)]),
  );
  const bucket = settings.DOCTRAIN_BUCKET;
  const textractTps = textractQuotas(settings);
  const ocrConcurrency = ocrConcurrencyFor(textractTps, settings.DOCTRAIN_OCR_MAX_CONCURRENCY);
  return {
    runId,
    trigger: input.trigger ?? 'manual',
    modelName,
    bucket,
    documentsPrefix: input.documentsPrefix ?? settings.DOCTRAIN_DOCUMENTS_PREFIX,
    runPrefix: `runs/${runId}/`,
    dataset: {
      validationFraction: input.dataset?.validationFraction ?? settings.DOCTRAIN_VALIDATION_FRACTION,
      batchSize: input.dataset?.batchSize ?? settings.DOCTRAIN_BATCH_SIZE,
      ocrConcurrency,
      textractTps,
      textractTpsPerBatch: splitTextractTps(textractTps, ocrConcurrency),
      maxQuarantineShare: input.dataset?.maxQuarantineShare ?? settings.DOCTRAIN_MAX_QUARANTINE_SHARE,
      pageImages: input.dataset?.pageImages ?? settings.DOCTRAIN_PAGE_IMAGES,
    },
    training: {
      jobName: trainingJobName(runId, 1),
      image: settings.DOCTRAIN_TRAINING_IMAGE,
      roleArn: settings.DOCTRAIN_SAGEMAKER_ROLE_ARN,
      instanceType: input.training?.instanceType ?? settings.DOCTRAIN_INSTANCE_TYPE,
      spot,
      stoppingCondition: spot
        ? { MaxRuntimeInSeconds: maxRuntime, MaxWaitTimeInSeconds: maxWait }
        : { MaxRuntimeInSeconds: maxRuntime },
      volumeSizeGb: input.training?.volumeSizeGb ?? 30,
      hyperparameters,
      modelChannelUri: input.training?.modelChannelUri ?? settings.DOCTRAIN_MODEL_CHANNEL_URI ?? null,
      // One checkpoint prefix per model lineage and run: every attempt of this run (spot restarts,
      // capacity fallbacks) resumes from it; a new run never inherits another dataset's weights.
      checkpointS3Uri: `s3://${bucket}/checkpoints/${modelName}/${runId}/`,
      outputS3Uri: `s3://${bucket}/models/${modelName}/`,
    },
    pollSeconds: input.pollSeconds ?? settings.DOCTRAIN_POLL_SECONDS,
  };
};
