/**
 * The embedded local AWS: DynamoDB (dynalite), S3 (s3rver), Textract (tesseract.js), SageMaker (the
 * trainer as a process, or a container where Docker runs; its model registry), ECR, Service Quotas and
 * EventBridge (PutEvents, captured: `events()`, readCapturedEvents), all on 127.0.0.1. What it hands back are
 * clients built with explicit endpoints (local/clients.ts), the deployment settings the handlers are built
 * with, and the same as an environment for other processes (`sls invoke local`, the aws CLI). It never
 * reads or writes this process's environment.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { createS3Client, destroyAwsClients, type AwsClients } from '../src/aws/clients';
import {
  STAGE_SETTINGS,
  TEMPLATE_ENVIRONMENT,
  deploymentSettingsSchema,
  type DeploymentSettingName,
  type DeploymentSettings,
  type StackSettingName,
} from '../src/contracts/settings';
import { parseImageReference } from '../src/steps/preflight/step';
import { parseOrThrow } from '../src/validation';
import { LOCAL_REGION, localAwsClients, localClientEnvironment, localS3Config, type LocalEndpoints } from './clients';
import { startLocalDynamoDB } from './dynamodb';
import { startLocalEcr, trainerSourceDigest, type LocalEcr } from './ecr';
import { startLocalEventBridge } from './eventbridge';
import { capturedEventsFile, type CapturedEvent } from './eventbridge/captured-events';
import { startLocalS3 } from './s3';
import { acquireStageLock } from './stage-lock';
import { assertPortsFree, PortInUseError } from './port-in-use';
import { LOCAL_ACCOUNT, LOCAL_BUCKET, LOCAL_TABLE } from './resources';
import { startLocalSageMaker, type LocalSageMakerFaults, type TrainingJobOutput } from './sagemaker';
import { loadServerlessProject } from './serverless-project';
import { startLocalServiceQuotas, type LocalServiceQuotas } from './service-quotas';
import { startLocalTextract, type LocalTextractFaults, type LocalTextractStats } from './textract';

/** An AWS SDK logger that drops everything (see the emulators' S3 client below). */
const SILENT_SDK_LOGGER = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface LocalServicesOptions {
  /** Project root (where serverless.yml is). */
  root: string;
  /** Where S3 objects, DynamoDB data (when persistent), training job folders, the model registry and the captured events live. */
  dataDir: string;
  stage?: string;
  /**
   * Deployment settings that differ from the stage's config, by env name (e.g. a rehearsal's shorter
   * history budget): what a stage of its own would set, applied to the handlers' settings and `env`.
   */
  settings?: Partial<Record<DeploymentSettingName, string>>;
  /**
   * Keep DynamoDB on disk under dataDir (S3 always is); default in memory. A persistent stage is held by
   * one process at a time (local/stage-lock.ts): another holder is a StageInUseError before anything starts.
   */
  persistent?: boolean;
  /** What holds a persistent stage, as another process is told (default: this process's script and arguments). */
  owner?: string;
  /** Fixed ports (for `doctrain local up` and the aws CLI); default free ports. */
  ports?: Partial<Record<'s3' | 'dynamodb' | 'textract' | 'sagemaker' | 'eventbridge' | 'ecr' | 'serviceQuotas', number>>;
  textractMaxTps?: number;
  sagemaker?: {
    runner?: 'auto' | 'process' | 'docker';
    faults?: LocalSageMakerFaults;
    checkpointSyncSeconds?: number;
    /** Job seconds per real second (long jobs rehearsed quickly; local/sagemaker/index.ts). */
    timeScale?: number;
    /** Another trainer package (folder and module), e.g. a test's fake trainer; default training-image's. */
    trainer?: { dir: string; module: string };
  };
}

export interface LocalServices {
  bucket: string;
  tableName: string;
  endpoints: LocalEndpoints;
  /** Clients of these services, built with their endpoints (closed by `close`). */
  clients: AwsClients;
  /** The deployment settings of the stage, as the functions get them on AWS (the local resources for the stack's). */
  settings: DeploymentSettings;
  /** Everything another process needs to talk to these services, the handlers' deployment settings included. */
  env: Record<string, string>;
  setSageMakerFaults(faults: LocalSageMakerFaults): void;
  /** Injected Textract throttling from now on (`{}`: none). */
  setTextractFaults(faults: LocalTextractFaults): void;
  /** Requests the local Textract answered so far, and how many of them it throttled. */
  textractStats(): LocalTextractStats;
  /** Requests the local SageMaker answered so far, by operation. */
  sageMakerRequests(): Record<string, number>;
  /** The local SageMaker's training jobs as they run: each trainer output line as it arrives, each status change (returns the unsubscribe). */
  onTrainingOutput(listener: (output: TrainingJobOutput) => void): () => void;
  /** The local ECR: holds the training image (pushed at start); deleteImage rehearses a missing one. */
  ecr: LocalEcr;
  /** The local Service Quotas: setQuota(name, 0) rehearses a new account's zero spot quota. */
  serviceQuotas: LocalServiceQuotas;
  /** The events put on the local EventBridge so far, oldest first (another process: readCapturedEvents(dataDir)). */
  events(): CapturedEvent[];
  /** Tells other processes (the stage lock of a persistent stage) the local Step Functions API's endpoint, once it listens. */
  advertiseStepFunctions(endpoint: string): Promise<void>;
  close(): Promise<void>;
}

export { readCapturedEvents, type CapturedEvent } from './eventbridge/captured-events';

/** `doctrain.ts run ./receipts --stage x`: what this process is, for whoever finds the stage held. */
const defaultOwner = (): string => [path.basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(' ');

export { LOCAL_ACCOUNT, LOCAL_BUCKET, LOCAL_TABLE } from './resources';
export { PortInUseError } from './port-in-use';

/** CloudFormation table properties -> CreateTable input (what dynalite understands of it). */
export const createTableInput = (tableName: string, properties: Record<string, unknown>): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: properties['AttributeDefinitions'] as CreateTableCommandInput['AttributeDefinitions'],
  KeySchema: properties['KeySchema'] as CreateTableCommandInput['KeySchema'],
  GlobalSecondaryIndexes: properties['GlobalSecondaryIndexes'] as CreateTableCommandInput['GlobalSecondaryIndexes'],
});

/** The stage's doctrain config as the functions' environment, exactly as serverless.yml sets it on AWS (`ENV: ${self:custom.config.<key>}`, the value as a string), derived from the stage settings (src/contracts/settings.ts). */
export const deploymentEnvironment = (config: Readonly<Record<string, unknown>>): Record<string, string> =>
  Object.fromEntries(STAGE_SETTINGS.filter(({ key }) => config[key] !== undefined).map(({ env, key }) => [env, String(config[key])]));

/** The training image of the local stack: its local ECR holds it from the start. */
export const LOCAL_TRAINING_IMAGE = 'doctrain-trainer:local';

/** What the stack's resources are locally: every stack setting (settings.ts), or typecheck fails. */
const localStackEnvironment: Record<StackSettingName, string> = {
  DOCTRAIN_BUCKET: LOCAL_BUCKET,
  DOCTRAIN_TABLE: LOCAL_TABLE,
  DOCTRAIN_TRAINING_IMAGE: LOCAL_TRAINING_IMAGE,
  DOCTRAIN_SAGEMAKER_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/doctrain-local-sagemaker`,
  DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-local-',
};

/**
 * The functions' whole environment on the local runtime, as Lambda would give it on AWS: the region, what
 * serverless.yml writes as is, the stage's config and the local resources for the stack's.
 */
export const localSettingsEnvironment = (stageConfig: Readonly<Record<string, unknown>>): Record<string, string> => ({
  AWS_REGION: LOCAL_REGION,
  ...TEMPLATE_ENVIRONMENT,
  ...deploymentEnvironment(stageConfig),
  ...localStackEnvironment,
});

const parseLocalSettings = (environment: Record<string, string>, stage: string): DeploymentSettings =>
  parseOrThrow(deploymentSettingsSchema, environment, `local deployment settings (stage ${stage})`);

/** The deployment settings the handlers of a local stage get (what `LocalServices.settings` holds), for a process that did not start it. */
export const localStageSettings = (root: string, stage = 'local'): DeploymentSettings =>
  parseLocalSettings(localSettingsEnvironment(loadServerlessProject(root).stageConfig(stage)), stage);

export const startLocalServices = async (options: LocalServicesOptions): Promise<LocalServices> => {
  const project = loadServerlessProject(options.root);
  const stage = options.stage ?? 'local';
  await assertPortsFree(Object.values(options.ports ?? {}));
  // A data dir this start creates is removed again when the start fails (no half-made stage is left).
  const created = !existsSync(options.dataDir);
  await mkdir(path.join(options.dataDir, 's3'), { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    const lock = options.persistent ? await acquireStageLock(options.dataDir, options.owner ?? defaultOwner()) : undefined;
    if (lock !== undefined) closers.push(() => lock.release());
    const dynamoDB = await startLocalDynamoDB({
      ...(options.ports?.dynamodb === undefined ? {} : { port: options.ports.dynamodb }),
      ...(options.persistent ? { path: path.join(options.dataDir, 'dynamodb') } : {}),
    });
    closers.push(() => dynamoDB.close());

    const localS3 = await startLocalS3({
      directory: path.join(options.dataDir, 's3'),
      buckets: [LOCAL_BUCKET],
      ...(options.ports?.s3 === undefined ? {} : { port: options.ports.s3 }),
    });
    closers.push(() => localS3.close());

    // The emulators read and write S3 through this client; the other services' endpoints are known once they listen.
    // Its SDK log is dropped: failures reach the emulators as errors, and without a logger the SDK prints
    // "An error was encountered in a non-retryable streaming request." on the user's terminal for a
    // checkpoint file the trainer rotated away mid-upload (which the checkpoint sync expects and skips).
    const s3 = createS3Client({ ...localS3Config(localS3.endpoint), logger: SILENT_SDK_LOGGER });
    closers.push(() => Promise.resolve(s3.destroy()));

    const textract = await startLocalTextract({
      s3,
      ...(options.ports?.textract === undefined ? {} : { port: options.ports.textract }),
      ...(options.textractMaxTps === undefined ? {} : { maxTps: options.textractMaxTps }),
    });
    closers.push(() => textract.close());
    // The stack's ECR repository with the trainer "pushed" (its sources' digest), and the account's quotas.
    const image = parseImageReference(LOCAL_TRAINING_IMAGE);
    const ecr = await startLocalEcr({
      account: LOCAL_ACCOUNT,
      ...(options.ports?.ecr === undefined ? {} : { port: options.ports.ecr }),
      images: [
        {
          repository: image.repository,
          tag: image.tag ?? 'latest',
          digest: await trainerSourceDigest(path.join(options.root, 'training-image')),
        },
      ],
    });
    closers.push(() => ecr.close());
    const serviceQuotas = await startLocalServiceQuotas({
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      ...(options.ports?.serviceQuotas === undefined ? {} : { port: options.ports.serviceQuotas }),
    });
    closers.push(() => serviceQuotas.close());
    const eventBridge = await startLocalEventBridge({
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      eventsFile: capturedEventsFile(options.dataDir),
      ...(options.ports?.eventbridge === undefined ? {} : { port: options.ports.eventbridge }),
    });
    closers.push(() => eventBridge.close());
    const sagemaker = await startLocalSageMaker({
      s3,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      workDir: path.join(options.dataDir, 'sagemaker'),
      trainerDir: options.sagemaker?.trainer?.dir ?? path.join(options.root, 'training-image'),
      ...(options.sagemaker?.trainer === undefined ? {} : { module: options.sagemaker.trainer.module }),
      ...(options.sagemaker?.timeScale === undefined ? {} : { timeScale: options.sagemaker.timeScale }),
      runner: options.sagemaker?.runner ?? 'auto',
      ...(options.ports?.sagemaker === undefined ? {} : { port: options.ports.sagemaker }),
      ...(options.sagemaker?.faults === undefined ? {} : { faults: options.sagemaker.faults }),
      checkpointSyncSeconds: options.sagemaker?.checkpointSyncSeconds ?? 2,
      stopTimeoutSeconds: 20,
      // CreateTrainingJob runs pre-flight's pinned `repo@sha256:...`; docker knows the local image by tag.
      dockerImage: (trainingImage) => ecr.localReference(trainingImage),
    });
    closers.push(() => sagemaker.close());
    const endpoints: LocalEndpoints = {
      s3: localS3.endpoint,
      dynamodb: dynamoDB.endpoint,
      textract: textract.endpoint,
      sagemaker: sagemaker.endpoint,
      ecr: ecr.endpoint,
      serviceQuotas: serviceQuotas.endpoint,
      eventbridge: eventBridge.endpoint,
    };
    const clients = localAwsClients(endpoints);
    closers.push(() => Promise.resolve(destroyAwsClients(clients)));
    const settingsEnvironment = { ...localSettingsEnvironment(project.stageConfig(stage)), ...options.settings };
    const settings = parseLocalSettings(settingsEnvironment, stage);

    try {
      await clients.dynamo.send(new CreateTableCommand(createTableInput(LOCAL_TABLE, project.tableProperties)));
    } catch (error) {
      // A persistent local stage keeps its table between runs.
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    }
    await lock?.setEndpoints(endpoints);
    return {
      bucket: LOCAL_BUCKET,
      tableName: LOCAL_TABLE,
      endpoints,
      clients,
      settings,
      env: { ...localClientEnvironment(endpoints), ...settingsEnvironment },
      setSageMakerFaults: (faults) => sagemaker.setFaults(faults),
      setTextractFaults: (faults) => textract.setFaults(faults),
      textractStats: () => textract.stats(),
      sageMakerRequests: () => sagemaker.requests(),
      onTrainingOutput: (listener) => sagemaker.onOutput(listener),
      ecr,
      serviceQuotas,
      events: () => eventBridge.events(),
      advertiseStepFunctions: async (endpoint) => {
        await lock?.setEndpoints({ ...endpoints, stepFunctions: endpoint });
      },
      close,
    };
  } catch (error) {
    await close();
    if (created) await rm(options.dataDir, { recursive: true, force: true });
    const errno = error as NodeJS.ErrnoException & { port?: number };
    if (errno.code === 'EADDRINUSE') throw new PortInUseError(errno.port, { cause: error });
    throw error;
  }
};
