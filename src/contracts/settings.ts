/**
 * Every deployment setting, defined once: where serverless.yml takes it from, the environment variable
 * the functions read it from, its type (parsing the string Lambda hands over), its default and a doc line.
 * `deploymentSettingsSchema` is derived from these definitions, and so is the local runtime's environment
 * (local/services.ts). serverless.yml cannot import TypeScript, so test/unit/contracts/settings-drift.test.ts
 * checks it (defaults, environment mapping) and the configuration table of docs/CONFIGURATION.md against this module.
 *
 * Adding a setting: one entry below, its key under custom.doctrain.defaults, its env line in
 * provider.environment, its docs/CONFIGURATION.md row; the drift test names whichever is missing.
 */
import * as z from 'zod';
import { DEFAULT_LOOP_HISTORY_BUDGET, HISTORY_EVENT_LIMIT, MIN_MAX_POLL_SECONDS, MIN_POLL_SECONDS } from './poll-pace';
import { DEFAULT_DOCUMENTS_PREFIX } from './s3-layout';
import { envPriceOverridesSchema } from './prices';
import { envFieldNamesSchema, localeSchema } from './value-rules';

/** The most instances one doctrain training job asks for (SageMaker's own bound is the account's quota). */
export const MAX_INSTANCE_COUNT = 16;

export const G5_INSTANCE_TYPES = [
  'ml.g5.xlarge',
  'ml.g5.2xlarge',
  'ml.g5.4xlarge',
  'ml.g5.8xlarge',
  'ml.g5.12xlarge',
  'ml.g5.16xlarge',
  'ml.g5.24xlarge',
  'ml.g5.48xlarge',
] as const;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PLAN_ENTRY = `(?:${G5_INSTANCE_TYPES.map(escapeRegExp).join('|')}):(?:spot|on-demand)`;
/** An instance plan as a setting: `<instance type>:spot|on-demand`, comma-separated, in order ('' = none). */
export const INSTANCE_PLAN_TEXT = new RegExp(`^(?:${PLAN_ENTRY}(?:,${PLAN_ENTRY})*)?$`);

/**
 * Where a setting's value comes from:
 * - `stage`: the stage's config, `custom.doctrain.stages.<stage>.<key>` falling back to
 *   `custom.doctrain.defaults.<key>`, passed as `ENV: ${self:custom.config.<key>}`;
 * - `stack`: a resource of the stack (or, for a local invoke, the shell), passed as
 *   `ENV: ${self:custom.target.ENV}`;
 * - `template`: the same for every stage and target, written as is in provider.environment (`ENV: <value>`);
 * - `runtime`: set by Lambda itself (and by the local runtime), never by serverless.yml.
 */
export type SettingSource = { from: 'stage'; key: string } | { from: 'stack' } | { from: 'template'; value: string } | { from: 'runtime' };

export interface SettingDefinition<S extends z.ZodType = z.ZodType> {
  source: SettingSource;
  /** Parses the environment variable (absent: the default applies). */
  schema: S;
  /** The typed value when the variable is absent; undefined: required, or (for an optional type) absent. */
  default: unknown;
  doc: string;
}

/** A stage setting with a default: the schema applies it when the variable is absent. */
const stage = <S extends z.ZodType>(
  key: string,
  type: S,
  defaultValue: z.util.NoUndefined<z.output<S>>,
  doc: string,
): SettingDefinition<z.ZodDefault<S>> => ({
  source: { from: 'stage', key },
  schema: type.default(defaultValue),
  default: defaultValue,
  doc,
});

/** A stage setting whose absence means something (its type is optional; serverless.yml writes ''). */
const optionalStage = <S extends z.ZodType>(key: string, type: S, doc: string): SettingDefinition<S> => ({
  source: { from: 'stage', key },
  schema: type,
  default: undefined,
  doc,
});

const stack = <S extends z.ZodType>(type: S, doc: string): SettingDefinition<S> => ({
  source: { from: 'stack' },
  schema: type,
  default: undefined,
  doc,
});

/** A setting serverless.yml writes as is; the value is also its default (a function without it behaves the same). */
const template = (value: string, doc: string): SettingDefinition<z.ZodDefault<z.ZodString>> => ({
  source: { from: 'template', value },
  schema: z.string().min(1).default(value),
  default: value,
  doc,
});

/** How a retrain starts (execution input training.warmStart, setting warmStart). */
export const WARM_START_POLICIES = ['none', 'champion'] as const;

const envBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/** An S3 URI of an object or prefix; at most 1,024 characters, SageMaker's limit on a channel's S3Uri (test/unit/aws/requests.test.ts). */
export const s3UriSchema = z
  .string()
  .max(1024, "at most 1,024 characters (SageMaker's limit on a channel's S3Uri)")
  .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 'an s3:// URI (s3://bucket/key-or-prefix)');
/** A Textract TPS quota override; empty or absent: the region's default quota. */
const envTps = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().positive().max(10_000).optional());
const TPS_DOC = "TPS quota of the account ('' or absent: the region's default, see docs/CONFIGURATION.md)";

/** Every environment variable the functions are configured with, by name. */
export const DEPLOYMENT_SETTINGS = {
  DOCTRAIN_BUCKET: stack(z.string().min(3), 'the stack bucket: documents, datasets, checkpoints, models'),
  DOCTRAIN_TABLE: stack(z.string().min(3), 'the runs table (DynamoDB)'),
  DOCTRAIN_TRAINING_IMAGE: stack(z.string().min(1), 'the training image URI (the stack ECR repository, tag imageTag)'),
  DOCTRAIN_SAGEMAKER_ROLE_ARN: stack(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN'),
    'the role the training jobs run as',
  ),
  /** Set by Lambda (and the local runtime): picks the default Textract quotas. */
  AWS_REGION: {
    source: { from: 'runtime' },
    schema: z.string().min(1).default('us-east-1'),
    default: 'us-east-1',
    doc: "the function's region (set by Lambda)",
  } satisfies SettingDefinition,
  /** Read by Powertools Logger and Metrics (the `service` key of every log line and the metrics' service dimension). */
  POWERTOOLS_SERVICE_NAME: template('doctrain', 'service name in logs and metrics (Powertools)'),
  /** Read by Powertools Metrics: the CloudWatch namespace of the EMF metrics. */
  POWERTOOLS_METRICS_NAMESPACE: template('doctrain', 'CloudWatch namespace of the metrics (Powertools)'),
  DOCTRAIN_MODEL_NAME: stage('modelName', z.string(), 'receipts', 'model lineage: models/<name>/, checkpoints/<name>/<runId>/'),
  DOCTRAIN_DOCUMENTS_PREFIX: stage('documentsPrefix', z.string(), DEFAULT_DOCUMENTS_PREFIX, 'where documents and annotations are'),
  DOCTRAIN_INSTANCE_TYPE: stage('instanceType', z.enum(G5_INSTANCE_TYPES), 'ml.g5.xlarge', 'training instance type (any ml.g5.*)'),
  DOCTRAIN_SPOT: stage('spot', envBoolean, true, 'managed spot training'),
  DOCTRAIN_INSTANCE_COUNT: stage(
    'instanceCount',
    z.coerce.number().int().min(1).max(MAX_INSTANCE_COUNT),
    1,
    'instances per training job (ResourceConfig.InstanceCount); above 1 the trainer runs data-parallel over all their GPUs (torchrun)',
  ),
  DOCTRAIN_INSTANCE_FALLBACKS: stage(
    'instanceFallbacks',
    z.string().regex(INSTANCE_PLAN_TEXT, 'comma-separated <ml.g5 instance type>:spot|on-demand entries'),
    'ml.g5.2xlarge:spot,ml.g5.xlarge:on-demand',
    "instance plan after instanceType/spot, in order, tried on capacity failures with the same checkpoints ('' = none)",
  ),
  DOCTRAIN_TRAINING_IMAGE_DIGEST: optionalStage(
    'imageDigest',
    z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>')
        .optional(),
    ),
    "pin the training image to this digest (sha256:...) instead of resolving imageTag at pre-flight; '' = resolve the tag",
  ),
  DOCTRAIN_MAX_RUNTIME_SECONDS: stage(
    'maxRuntimeSeconds',
    z.coerce.number().int().min(60),
    4 * 3600,
    'StoppingCondition.MaxRuntimeInSeconds',
  ),
  DOCTRAIN_MAX_WAIT_SECONDS: stage(
    'maxWaitSeconds',
    z.coerce.number().int().min(60),
    8 * 3600,
    'MaxWaitTimeInSeconds (spot only; >= max runtime)',
  ),
  DOCTRAIN_POLL_SECONDS: stage(
    'pollSeconds',
    z.coerce.number().int().min(MIN_POLL_SECONDS).max(3600),
    60,
    `shortest wait of the training poll loop (the first polls; at least ${MIN_POLL_SECONDS})`,
  ),
  DOCTRAIN_MAX_POLL_SECONDS: stage(
    'maxPollSeconds',
    z.coerce.number().int().min(MIN_MAX_POLL_SECONDS).max(3600),
    600,
    `longest wait of the training poll loop (waits grow with the job's age up to this; at least ${MIN_MAX_POLL_SECONDS})`,
  ),
  DOCTRAIN_LOOP_HISTORY_BUDGET: stage(
    'loopHistoryBudget',
    z.coerce
      .number()
      .int()
      .min(100)
      .max(HISTORY_EVENT_LIMIT - 5_000),
    DEFAULT_LOOP_HISTORY_BUDGET,
    `history events one execution may spend polling before it continues as a new execution (limit ${HISTORY_EVENT_LIMIT}; the rest is for the steps before the loop)`,
  ),
  DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS: stage(
    'checkpointIntervalSeconds',
    z.coerce.number().int().min(1),
    900,
    "how often the trainer is expected to write a checkpoint (the watchdog's unit)",
  ),
  DOCTRAIN_CHECKPOINT_STALE_FACTOR: stage(
    'checkpointStaleFactor',
    z.coerce.number().min(1),
    3,
    'the watchdog warns when the newest checkpoint is older than this many checkpoint intervals',
  ),
  DOCTRAIN_TEXTRACT_TPS_DETECT_DOCUMENT_TEXT: optionalStage('textractTpsDetectDocumentText', envTps, `DetectDocumentText ${TPS_DOC}`),
  DOCTRAIN_TEXTRACT_TPS_ANALYZE_DOCUMENT: optionalStage('textractTpsAnalyzeDocument', envTps, `AnalyzeDocument ${TPS_DOC}`),
  DOCTRAIN_TEXTRACT_TPS_START_DOCUMENT_TEXT_DETECTION: optionalStage(
    'textractTpsStartDocumentTextDetection',
    envTps,
    `StartDocumentTextDetection ${TPS_DOC}`,
  ),
  DOCTRAIN_TEXTRACT_TPS_GET_DOCUMENT_TEXT_DETECTION: optionalStage(
    'textractTpsGetDocumentTextDetection',
    envTps,
    `GetDocumentTextDetection ${TPS_DOC}`,
  ),
  DOCTRAIN_OCR_MAX_CONCURRENCY: stage(
    'ocrMaxConcurrency',
    z.coerce.number().int().min(1).max(40),
    10,
    "upper bound of the OCR Map's MaxConcurrency (also bounded by the DetectDocumentText quota)",
  ),
  DOCTRAIN_BATCH_SIZE: stage('batchSize', z.coerce.number().int().min(1).max(100), 10, 'documents per OCR Map iteration'),
  DOCTRAIN_VALIDATION_FRACTION: stage('validationFraction', z.coerce.number().gt(0).lt(1), 0.2, 'share of documents in validation'),
  DOCTRAIN_MAX_QUARANTINE_SHARE: stage(
    'maxQuarantineShare',
    z.coerce.number().min(0).max(1),
    0.25,
    'largest share of quarantined documents before the run fails (1: never fails)',
  ),
  DOCTRAIN_LOCALE: optionalStage(
    'locale',
    z.preprocess((v) => (v === '' ? undefined : v), localeSchema.optional()),
    "the documents' locale (BCP 47, e.g. en-US, de-DE): the day/month order of numeric dates their own dates do not settle; '' = none (such dates are reported ambiguous_date)",
  ),
  DOCTRAIN_FIELD_NAMES: optionalStage(
    'fieldNames',
    envFieldNamesSchema,
    'JSON field names added to the value table\'s, per field key (e.g. {"total":["Endsumme"]}); \'\' = none',
  ),
  DOCTRAIN_PAGE_IMAGES: stage(
    'pageImages',
    envBoolean,
    false,
    'copy each one-page PNG/JPEG to the dataset as its page image (LayoutLMv3 images channel)',
  ),
  DOCTRAIN_MODEL_CHANNEL_URI: optionalStage(
    'modelChannelUri',
    z.preprocess((v) => (v === '' ? undefined : v), s3UriSchema.optional()),
    "s3:// URI of a saved pretrained model (or its tar.gz) passed as the training job's model channel; '' = none",
  ),
  DOCTRAIN_PROMOTION_MARGIN: stage(
    'promotionMargin',
    z.coerce.number().min(0).max(1),
    0.01,
    'entity F1 a challenger must gain over the champion (on the same validation documents) to be promoted',
  ),
  DOCTRAIN_FIELD_TOLERANCE: stage(
    'fieldTolerance',
    z.coerce.number().min(0).max(1),
    0.02,
    "largest drop of any field's exact-match share a promoted challenger may have against the champion",
  ),
  DOCTRAIN_WARM_START: stage(
    'warmStart',
    z.enum(WARM_START_POLICIES),
    'none',
    "'champion': a retrain starts from the champion's weights (its `champion` channel) with warmStartEpochs; 'none': from scratch",
  ),
  DOCTRAIN_WARM_START_EPOCHS: stage(
    'warmStartEpochs',
    z.coerce.number().int().min(1).max(100_000),
    10,
    'epochs of a warm-started retrain (unless the hyperparameters name epochs)',
  ),
  DOCTRAIN_MODEL_APPROVAL: stage(
    'modelApproval',
    z.enum(['Approved', 'PendingManualApproval']),
    'Approved',
    "ModelApprovalStatus of a promoted model's package in the model registry ('PendingManualApproval': a person approves it)",
  ),
  DOCTRAIN_REGISTER_REJECTED: stage(
    'registerRejected',
    envBoolean,
    false,
    'also register rejected challengers in the model registry (ModelApprovalStatus Rejected)',
  ),
  DOCTRAIN_INFERENCE_IMAGE: optionalStage(
    'inferenceImage',
    z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).max(255).optional()),
    "the inference container of registered model packages; '' = the AWS PyTorch inference image of the region (src/retrain/registry.ts)",
  ),
  DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: stack(
    z.string().regex(/^[a-zA-Z0-9-]{0,31}$/, 'letters, digits and dashes, at most 31'),
    "prefix of the lineages' model package groups (<prefix><modelName>): one per stage",
  ),
  DOCTRAIN_EVENT_BUS: template('default', 'the EventBridge bus the run notifications go to'),
  DOCTRAIN_BUDGET_USD: optionalStage(
    'budgetUsd',
    z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().positive().optional()),
    "cost budget of a run in USD: the poll loop stops the training job when the projected cost passes it (BUDGET_EXCEEDED); '' = none",
  ),
  DOCTRAIN_PRICES: optionalStage(
    'prices',
    envPriceOverridesSchema,
    "JSON overrides of the cost ledger's price table (src/contracts/prices.ts); '' = the us-east-1 list prices",
  ),
} as const;

export type DeploymentSettingName = keyof typeof DEPLOYMENT_SETTINGS;
type DeploymentSettingsShape = { [K in DeploymentSettingName]: (typeof DEPLOYMENT_SETTINGS)[K]['schema'] };

/** The deployment settings, read from the environment the stage deploys with (see serverless.yml). */
export const deploymentSettingsSchema = z.object(
  // Object.fromEntries loses the per-key types; the shape is exactly DEPLOYMENT_SETTINGS' schemas by name.
  Object.fromEntries(Object.entries(DEPLOYMENT_SETTINGS).map(([name, setting]) => [name, setting.schema])) as DeploymentSettingsShape,
);
export type DeploymentSettings = z.infer<typeof deploymentSettingsSchema>;

/** The names of the settings a resource of the stack provides (each target of serverless.yml must set them). */
export type StackSettingName = {
  [K in DeploymentSettingName]: (typeof DEPLOYMENT_SETTINGS)[K]['source'] extends { from: 'stack' } ? K : never;
}[DeploymentSettingName];

/** The settings serverless.yml writes as is, as the environment it gives every function. */
export const TEMPLATE_ENVIRONMENT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DEPLOYMENT_SETTINGS).flatMap(([env, setting]: [string, SettingDefinition]) =>
    setting.source.from === 'template' ? [[env, setting.source.value]] : [],
  ),
);

/** Each stage setting: its env name and its key in the stage's config. */
export const STAGE_SETTINGS: readonly { env: DeploymentSettingName; key: string; setting: SettingDefinition }[] = Object.entries(
  DEPLOYMENT_SETTINGS,
).flatMap(([env, setting]: [string, SettingDefinition]) =>
  setting.source.from === 'stage' ? [{ env: env as DeploymentSettingName, key: setting.source.key, setting }] : [],
);

/**
 * Stage settings serverless.yml itself uses (no function reads them): the same stage config, no env.
 * Their types are what serverless.yml holds (YAML values, not environment strings).
 */
export const TEMPLATE_SETTINGS = {
  imageTag: { schema: z.string().min(1), default: 'latest', doc: "tag of the training image in the stack's ECR repository" },
  scheduleRate: {
    schema: z.string().regex(/^(rate|cron)\(.+\)$/, 'an EventBridge rate(...) or cron(...) expression'),
    default: 'rate(7 days)',
    doc: 'EventBridge schedule of retrains',
  },
  scheduleEnabled: { schema: z.boolean(), default: false, doc: 'whether the schedule is on (prod turns it on)' },
  notificationEmail: {
    schema: z.union([z.literal(''), z.email()]),
    default: '',
    doc: "an e-mail address subscribed to the run notifications' SNS topic ('' = none)",
  },
} as const satisfies Record<string, { schema: z.ZodType; default: unknown; doc: string }>;
