/**
 * The one typed config of a run. Three layers, later wins:
 *   1. built-in defaults (below),
 *   2. the stage's deployment settings (environment of the ValidateInput function, set in serverless.yml),
 *   3. the execution input (StartExecution / schedule / CLI), validated strictly: unknown keys are errors.
 * The resolved config travels in the execution state, so it must stay small (no document lists).
 */
import { s3Uri } from '../../aws/s3-objects';
import { InvalidInputError } from '../../contracts/errors';
import type { TextractTps } from '../../contracts/textract-tps';
import { defaultTextractQuotas, ocrConcurrencyFor, splitTextractTps } from '../../textract/throughput';
import { parseOrThrow } from '../../validation';
import { checkpointPrefix, modelOutputPrefix, runPrefix } from '../../contracts/s3-layout';
import { deploymentSettingsSchema, type DeploymentSettings } from '../../contracts/settings';
import { executionInputSchema } from '../../contracts/execution-input';
import type { RunConfig } from '../../contracts/run-config';
import {
  buildInstancePlan,
  formatPlanEntry,
  parseInstancePlanText,
  stoppingConditionFor,
  trainingEnvironmentFor,
  widestEntry,
} from '../../contracts/instance-plan';
import { priceTable } from '../../contracts/prices';
import { SAGEMAKER_HYPERPARAMETER_LIMITS, TRAINER_HYPERPARAMETERS } from '../../contracts/hyperparameters';
import { jobHyperparameters } from '../../contracts/training-config';
import { objectiveProblem, resolveTuning } from '../../contracts/tuning';
import { DEFAULT_TASK } from '../../contracts/task';

export const readDeploymentSettings = (env: Readonly<Record<string, string | undefined>>): DeploymentSettings =>
  parseOrThrow(deploymentSettingsSchema, env, 'deployment settings (function environment)');

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

/**
 * A scheduled retrain's run id: the lineage and the schedule time to the minute (`receipts-20261206t1200z`),
 * so every delivery of one schedule tick (EventBridge retries) is the same run and trains once.
 */
export const scheduledRunId = (modelName: string, scheduledAt: string): string => {
  const iso = new Date(scheduledAt).toISOString(); // UTC, whatever offset the event's time had
  return `${modelName}-${iso.slice(0, 10).replaceAll('-', '')}t${iso.slice(11, 16).replace(':', '')}z`;
};

export const resolveRunConfig = (settings: DeploymentSettings, rawInput: unknown, executionName: string): RunConfig => {
  const input = parseOrThrow(executionInputSchema, rawInput ?? {}, 'execution input');
  const modelName = input.modelName ?? settings.DOCTRAIN_MODEL_NAME;
  const runId =
    input.runId ?? (input.scheduledAt === undefined ? runIdFromExecutionName(executionName) : scheduledRunId(modelName, input.scheduledAt));
  const spot = input.training?.spot ?? settings.DOCTRAIN_SPOT;
  const maxRuntime = input.training?.maxRuntimeSeconds ?? settings.DOCTRAIN_MAX_RUNTIME_SECONDS;
  const maxWait = input.training?.maxWaitSeconds ?? settings.DOCTRAIN_MAX_WAIT_SECONDS;
  const plan = buildInstancePlan(
    { instanceType: input.training?.instanceType ?? settings.DOCTRAIN_INSTANCE_TYPE, spot },
    input.training?.instanceFallbacks ?? parseInstancePlanText(settings.DOCTRAIN_INSTANCE_FALLBACKS),
  );
  if (spot && maxWait < maxRuntime) {
    throw new InvalidInputError(
      `Invalid execution input: training.maxWaitSeconds (${maxWait}) must be >= training.maxRuntimeSeconds (${maxRuntime}) for spot training; raise maxWaitSeconds or lower maxRuntimeSeconds`,
    );
  }
  const [first] = plan as [(typeof plan)[number], ...typeof plan];
  const hyperparameters = Object.fromEntries(Object.entries(input.training?.hyperparameters ?? {}).map(([k, v]) => [k, String(v)]));
  const warmStart = input.training?.warmStart ?? settings.DOCTRAIN_WARM_START;
  // A warm-started job gets warm_start (and epochs, unless named) besides these: it must still fit SageMaker's limit.
  const added =
    warmStart === 'champion' ? Object.keys(jobHyperparameters(hyperparameters, true, 1)).length - Object.keys(hyperparameters).length : 0;
  if (Object.keys(hyperparameters).length + added > SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries) {
    throw new InvalidInputError(
      `Invalid execution input: training.hyperparameters has ${Object.keys(hyperparameters).length} entries; warm start from the champion adds ${added} (warm_start${added > 1 ? ', epochs' : ''}) and SageMaker takes at most ${SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries}: remove ${Object.keys(hyperparameters).length + added - SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries}, or set training.warmStart to none`,
    );
  }
  const instanceCount = input.training?.instanceCount ?? settings.DOCTRAIN_INSTANCE_COUNT;
  const batchSize = Number(hyperparameters['batch_size'] ?? TRAINER_HYPERPARAMETERS['batch_size']?.default);
  const widest = widestEntry(plan, instanceCount);
  if (batchSize < widest.processes) {
    throw new InvalidInputError(
      `Invalid execution input: hyperparameter batch_size (${batchSize}) is the global batch, split over every GPU of every instance, and ${formatPlanEntry(widest.entry)} x ${instanceCount} instance(s) runs ${widest.processes} trainer processes: set batch_size to at least ${widest.processes} (and scale learning_rate with it, training-image/README.md "Multi-GPU and multi-instance"), or plan fewer GPUs`,
    );
  }
  // A tuning run's trials get the tuned keys and _tuning_objective_metric besides the static ones.
  const tunedExtra =
    input.tuning === undefined ? 0 : Object.keys(input.tuning.ranges).filter((key) => !(key in hyperparameters)).length + 1;
  if (tunedExtra > 0 && Object.keys(hyperparameters).length + added + tunedExtra > SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries) {
    throw new InvalidInputError(
      `Invalid execution input: each tuning trial gets training.hyperparameters (${Object.keys(hyperparameters).length}), the warm start's (${added}), the tuned ones not among them and _tuning_objective_metric (${tunedExtra}), and SageMaker takes at most ${SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries}: remove ${Object.keys(hyperparameters).length + added + tunedExtra - SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries} from training.hyperparameters`,
    );
  }
  const task = input.task ?? (input.dataset?.classes !== undefined ? 'classification' : null);
  // A run that leaves its task to its annotations is tuned as the default task (known only at BuildDataset).
  const tunedTask = task ?? DEFAULT_TASK;
  const objective = input.tuning?.objective?.metric;
  const problem = objective === undefined ? undefined : objectiveProblem(tunedTask, objective);
  if (problem !== undefined) {
    throw new InvalidInputError(
      `Invalid execution input: tuning.objective.metric ${problem}${task === null ? '; a classifier names task: classification (or dataset.classes)' : ''}`,
    );
  }
  const bucket = settings.DOCTRAIN_BUCKET;
  const textractTps = textractQuotas(settings);
  const ocrConcurrency = ocrConcurrencyFor(textractTps, settings.DOCTRAIN_OCR_MAX_CONCURRENCY);
  return {
    runId,
    trigger: input.trigger ?? (input.scheduledAt === undefined ? 'manual' : 'schedule'),
    modelName,
    force: input.force ?? false,
    promotion: {
      margin: input.promotion?.margin ?? settings.DOCTRAIN_PROMOTION_MARGIN,
      fieldTolerance: input.promotion?.fieldTolerance ?? settings.DOCTRAIN_FIELD_TOLERANCE,
    },
    bucket,
    documentsPrefix: input.documentsPrefix ?? settings.DOCTRAIN_DOCUMENTS_PREFIX,
    runPrefix: runPrefix(runId),
    dataset: {
      validationFraction: input.dataset?.validationFraction ?? settings.DOCTRAIN_VALIDATION_FRACTION,
      batchSize: input.dataset?.batchSize ?? settings.DOCTRAIN_BATCH_SIZE,
      ocrConcurrency,
      textractTps,
      textractTpsPerBatch: splitTextractTps(textractTps, ocrConcurrency),
      maxQuarantineShare: input.dataset?.maxQuarantineShare ?? settings.DOCTRAIN_MAX_QUARANTINE_SHARE,
      pageImages: input.dataset?.pageImages ?? settings.DOCTRAIN_PAGE_IMAGES,
      locale: input.dataset?.locale ?? settings.DOCTRAIN_LOCALE ?? null,
      fieldNames: input.dataset?.fieldNames ?? settings.DOCTRAIN_FIELD_NAMES ?? {},
      task,
      classes: input.dataset?.classes ?? null,
    },
    training: {
      jobName: trainingJobName(runId, 1),
      image: settings.DOCTRAIN_TRAINING_IMAGE,
      imageDigest: input.training?.imageDigest ?? settings.DOCTRAIN_TRAINING_IMAGE_DIGEST ?? null,
      roleArn: settings.DOCTRAIN_SAGEMAKER_ROLE_ARN,
      instanceType: first.instanceType,
      spot: first.spot,
      instanceCount,
      environment: trainingEnvironmentFor(first.instanceType),
      stoppingCondition: stoppingConditionFor(first.spot, { maxRuntimeSeconds: maxRuntime, maxWaitSeconds: maxWait }),
      maxRuntimeSeconds: maxRuntime,
      maxWaitSeconds: maxWait,
      volumeSizeGb: input.training?.volumeSizeGb ?? 30,
      hyperparameters,
      warmStart,
      warmStartEpochs: settings.DOCTRAIN_WARM_START_EPOCHS,
      modelChannelUri: input.training?.modelChannelUri ?? settings.DOCTRAIN_MODEL_CHANNEL_URI ?? null,
      // One checkpoint prefix per model lineage and run: every attempt of this run (spot restarts,
      // capacity fallbacks) resumes from it; a new run never inherits another dataset's weights.
      checkpointS3Uri: s3Uri({ bucket, key: checkpointPrefix(modelName, runId) }),
      outputS3Uri: s3Uri({ bucket, key: modelOutputPrefix(modelName) }),
      plan,
      attempt: 1,
      planIndex: 0,
      attempts: [],
      next: 'create',
      waitSeconds: 0,
      createRetries: 0,
    },
    tuning: input.tuning === undefined ? null : resolveTuning(runId, input.tuning, tunedTask),
    pollSeconds: input.pollSeconds ?? settings.DOCTRAIN_POLL_SECONDS,
    budgetUsd: input.budgetUsd === undefined ? (settings.DOCTRAIN_BUDGET_USD ?? null) : input.budgetUsd,
    prices: priceTable(settings.DOCTRAIN_PRICES),
  };
};
