/**
 * Local Amazon SageMaker training: the real AWS JSON 1.1 wire protocol on 127.0.0.1, so an unmodified
 * `SageMakerClient({ endpoint })` (or `AWS_ENDPOINT_URL_SAGEMAKER`) works against it.
 *
 * Ops: CreateTrainingJob, DescribeTrainingJob, StopTrainingJob, ListTrainingJobs. Jobs run the training
 * container contract (docs/CONTRACTS.md section 4) as a local process or a docker container; data, model
 * and checkpoints go through the S3 client it is started with (the local S3). Each job's DescribeTrainingJob
 * record is kept on disk (./job-store.ts, `<workDir>/training-jobs.json`): a restarted local SageMaker
 * describes and lists the jobs of earlier processes (one left InProgress comes back Failed), and refuses
 * their names, as SageMaker does.
 *
 * The model registry (./model-registry.ts): CreateModelPackageGroup, DescribeModelPackageGroup,
 * CreateModelPackage, DescribeModelPackage, ListModelPackages, UpdateModelPackage, kept on disk in
 * `<workDir>/model-registry.json`.
 *
 * Automatic model tuning (./tuning.ts): CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob,
 * ListTrainingJobsForHyperParameterTuningJob, StopHyperParameterTuningJob; its trials are training jobs here.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { enumMember, int, member, object, validationError } from '../http/aws-validation';
import {
  JsonProtocolError,
  startJsonProtocolServer,
  type JsonHandler,
  type JsonObject,
  type LocalServer,
} from '../http/json-protocol-server';
import type { S3Client } from '@aws-sdk/client-s3';
import { TrainingJob, type RunnerSettings, type TrainingJobOutput } from './job';
import { TrainingJobStore, type DescribedJob } from './job-store';
import { ModelRegistry } from './model-registry';
import { pageOf } from './pagination';
import {
  createModelPackageGroupSchema,
  createModelPackageSchema,
  describeModelPackageGroupSchema,
  describeModelPackageSchema,
  listModelPackagesSchema,
  updateModelPackageSchema,
} from './registry-requests';
import {
  SORT_ORDERS,
  TRAINING_JOB_SORT_BY,
  TRAINING_JOB_STATUSES,
  entityName,
  nameContains,
  parseSageMakerRequest,
  validateCreateTrainingJob,
} from './validate';
import { localTuning } from './tuning';

export interface LocalSageMakerFaults {
  /** Spot jobs (EnableManagedSpotTraining) are interrupted once, this many job seconds into Training, then resumed. */
  spotInterruptAfterSeconds?: number;
  /** Job seconds an interrupted spot job waits (Interrupted, unbilled) before it restarts; default 0. */
  spotRestartDelaySeconds?: number;
  /**
   * Spot jobs are interrupted once, as soon as the trainer has written its first complete checkpoint:
   * a trigger that does not race the trainer's speed, so tests can rely on it.
   */
  spotInterruptAfterFirstCheckpoint?: boolean;
  /** Instance type -> how many of the next CreateTrainingJob calls for it end Failed with a CapacityError. */
  capacityErrors?: Record<string, number>;
  /**
   * Instance type -> how many of the next CreateTrainingJob calls for it are refused at once with
   * ResourceLimitExceeded (no job is created): a quota or capacity refusal at create time. The Step
   * Functions integration names it `SageMaker.ResourceLimitExceededException`.
   */
  createCapacityErrors?: Record<string, number>;
  /**
   * How many of the next CreateTrainingJob calls create their job but lose the response (a 500
   * InternalFailure instead): the caller's retry then meets ResourceInUse ("already exists").
   */
  lostCreateResponses?: number;
}

export interface LocalSageMakerOptions {
  /** Where channels are read from and checkpoints and models written to. */
  s3: S3Client;
  /** The region the jobs report (their ARNs, AWS_REGION in the container); default us-east-1. */
  region?: string;
  /** The account in the model registry's ARNs; default 000000000000 (a training job's is its role's). */
  account?: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** Where each job gets `<workDir>/<jobName>/opt/ml/...` and `logs.txt`, and the model registry its file. */
  workDir: string;
  /** The folder that holds the trainer package (cwd and PYTHONPATH of a process run). */
  trainerDir: string;
  /** 'auto' (default): docker when `docker info` succeeds, else a local process. */
  runner?: 'auto' | 'process' | 'docker';
  /** Python for the process runner; default env DOCTRAIN_PYTHON (an option of the local runtime, not of the application), else the project venv (`.venv/bin/python` at the repo root, made by scripts/setup.sh). */
  python?: string;
  /** Python module run as `<python> -m <module> train`; default 'doctrain_trainer'. */
  module?: string;
  faults?: LocalSageMakerFaults;
  /** How often checkpoints are synced to CheckpointConfig.S3Uri during training; default 5 s. */
  checkpointSyncSeconds?: number;
  /** SIGTERM -> SIGKILL grace on stop / MaxRuntime; default 120 s, as SageMaker. */
  stopTimeoutSeconds?: number;
  /** The docker runner's image for a job's TrainingImage (e.g. a pinned `repo@sha256:...` -> the local tag). */
  dockerImage?: (trainingImage: string) => string;
  /**
   * Job seconds per real second (default 1), to rehearse long jobs: times and durations in
   * DescribeTrainingJob run on the job's clock, which runs this much faster than the real one and
   * meets it now (a job running 2 real seconds at 86,400x reports a CreationTime two days ago).
   */
  timeScale?: number;
}

export interface LocalSageMaker extends LocalServer {
  /** Replace the fault injection settings for later calls (e.g. to add capacity errors mid-test). */
  setFaults(faults: LocalSageMakerFaults): void;
  /** Resolves when every job started so far has reached a terminal status. */
  idle(): Promise<void>;
  /** Requests answered so far, by operation (CreateTrainingJob, DescribeTrainingJob, CreateModelPackage, ...). */
  requests(): Record<string, number>;
  /**
   * Tells `listener` every line of every job's trainer output as it arrives (the line is in the job's
   * logs.txt by then, or on its way) and every status change; returns the unsubscribe function.
   */
  onOutput(listener: (output: TrainingJobOutput) => void): () => void;
}

export type { TrainingJobOutput } from './job';

/** The project venv's Python (scripts/setup.sh makes it): the repo root is two folders above this module. */
const PROJECT_VENV_PYTHON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.venv', 'bin', 'python');

/** The training job requests' members the local SageMaker reads, with the model's constraints. */
const jobNameSchema = object({ TrainingJobName: entityName });
/** Epoch seconds, as the JSON protocol sends timestamps. */
const epochSeconds = z.number({ error: 'Member must be a timestamp' }).nullish();
const listTrainingJobsSchema = object({
  MaxResults: int(1, 100).nullish(),
  NameContains: nameContains.nullish(),
  StatusEquals: enumMember(TRAINING_JOB_STATUSES).nullish(),
  SortBy: enumMember(TRAINING_JOB_SORT_BY).nullish(),
  SortOrder: enumMember(SORT_ORDERS).nullish(),
  CreationTimeAfter: epochSeconds,
  CreationTimeBefore: epochSeconds,
  LastModifiedTimeAfter: epochSeconds,
  LastModifiedTimeBefore: epochSeconds,
  NextToken: member(8192, 0).nullish(),
});
const epoch = (d: Date | undefined): number | undefined => (d === undefined ? undefined : d.getTime() / 1000);

/** ListTrainingJobs' TrainingJobSummary, of a job of this process or a stored one. */
interface JobSummary {
  TrainingJobName: string;
  TrainingJobArn: string;
  CreationTime: number;
  TrainingEndTime: number | undefined;
  LastModifiedTime: number;
  TrainingJobStatus: string;
  SecondaryStatus: string;
}
const defined = (o: Record<string, unknown>): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const dockerAvailable = async (): Promise<boolean> => {
  try {
    await promisify(execFile)('docker', ['info'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
};

const notFound = (): JsonProtocolError => validationError('Requested resource not found.');

export const startLocalSageMaker = async (options: LocalSageMakerOptions): Promise<LocalSageMaker> => {
  const region = options.region ?? 'us-east-1';
  const workDir = path.resolve(options.workDir);
  await mkdir(workDir, { recursive: true });
  const runnerKind =
    options.runner === 'process' || options.runner === 'docker' ? options.runner : (await dockerAvailable()) ? 'docker' : 'process';
  let faults: LocalSageMakerFaults = structuredClone(options.faults ?? {});
  const jobs = new Map<string, TrainingJob>();
  const registry = await ModelRegistry.open({ dir: workDir, region, account: options.account ?? '000000000000' });
  const stored = await TrainingJobStore.open(workDir);
  /** Each status change of a job of this process is its record on disk (a job's status changes a few times). */
  const persist = (job: TrainingJob): void => void stored.put(describe(job)).catch(() => undefined);
  const outputListeners = new Set<(output: TrainingJobOutput) => void>();
  const tell = (output: TrainingJobOutput): void => {
    if (output.type === 'status') {
      const job = jobs.get(output.jobName);
      if (job !== undefined) persist(job);
    }
    for (const listener of outputListeners) listener(output);
  };

  const settingsFor = (): RunnerSettings => ({
    runner: runnerKind,
    s3: options.s3,
    python: options.python ?? process.env['DOCTRAIN_PYTHON'] ?? PROJECT_VENV_PYTHON,
    module: options.module ?? 'doctrain_trainer',
    trainerDir: path.resolve(options.trainerDir),
    workDir,
    region,
    ...(faults.spotInterruptAfterSeconds !== undefined ? { spotInterruptAfterSeconds: faults.spotInterruptAfterSeconds } : {}),
    spotInterruptAfterFirstCheckpoint: faults.spotInterruptAfterFirstCheckpoint ?? false,
    checkpointSyncSeconds: options.checkpointSyncSeconds ?? 5,
    stopTimeoutSeconds: options.stopTimeoutSeconds ?? 120,
    ...(options.dockerImage === undefined ? {} : { dockerImage: options.dockerImage }),
    timeScale,
    spotRestartDelaySeconds: faults.spotRestartDelaySeconds ?? 0,
    onOutput: tell,
  });

  /** A job of this process, or the record of one of an earlier process (it has ended). */
  const getJob = (input: JsonObject): { live: TrainingJob; record?: undefined } | { live?: undefined; record: DescribedJob } => {
    const name = parseSageMakerRequest(jobNameSchema, input).TrainingJobName;
    const live = jobs.get(name);
    if (live !== undefined) return { live };
    const record = stored.get(name);
    if (record === undefined) throw notFound();
    return { record };
  };

  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`timeScale must be > 0 (got ${timeScale})`);

  const describe = (job: TrainingJob): JsonObject => {
    const { request } = job;
    const seconds = job.trainingSeconds;
    // The job's clock: real durations x timeScale, meeting the real clock now.
    const now = Date.now();
    const epoch = (d: Date | undefined): number | undefined =>
      d === undefined ? undefined : (now - (now - d.getTime()) * timeScale) / 1000;
    return defined({
      TrainingJobName: request.name,
      TrainingJobArn: job.arn,
      ...request.echo,
      ModelArtifacts: job.modelArtifacts !== undefined ? { S3ModelArtifacts: job.modelArtifacts } : undefined,
      TrainingJobStatus: job.status,
      SecondaryStatus: job.secondaryStatus,
      FailureReason: job.failureReason,
      CreationTime: epoch(job.creationTime),
      TrainingStartTime: epoch(job.trainingStartTime),
      TrainingEndTime: epoch(job.trainingEndTime),
      LastModifiedTime: epoch(job.lastModifiedTime),
      SecondaryStatusTransitions: job.transitions.map((t) =>
        defined({ Status: t.Status, StartTime: epoch(t.StartTime), EndTime: epoch(t.EndTime), StatusMessage: t.StatusMessage }),
      ),
      FinalMetricDataList: request.metricDefinitions.flatMap((m) => {
        const value = job.metrics.get(m.Name);
        return value === undefined ? [] : [{ MetricName: m.Name, Value: value.Value, Timestamp: epoch(value.Timestamp) }];
      }),
      TrainingTimeInSeconds: seconds,
      // Billed time: training time less the time spent Interrupted waiting for spot capacity (nothing else
      // is discounted locally: without interruptions a spot-savings figure from these two fields is 0 %).
      BillableTimeInSeconds: job.billableSeconds,
    });
  };

  const requests: Record<string, number> = {};
  // Automatic model tuning (./tuning.ts): each trial is created as CreateTrainingJob creates a job.
  const handlers: Record<string, JsonHandler> = {};
  const tuning = localTuning({
    region,
    account: (roleArn) => /::(\d{12}):/.exec(roleArn)?.[1] ?? '000000000000',
    createTrainingJob: (input) => {
      handlers['CreateTrainingJob']?.(input, { operation: 'CreateTrainingJob', requestId: 'tuning' });
      const job = jobs.get(String(input['TrainingJobName']));
      if (job === undefined) throw new Error(`trial ${String(input['TrainingJobName'])} was not created`);
      return job;
    },
  });
  const server = await startJsonProtocolServer({
    targetPrefix: 'SageMaker',
    ...(options.port !== undefined ? { port: options.port } : {}),
    beforeDispatch: (operation) => {
      requests[operation] = (requests[operation] ?? 0) + 1;
    },
    onClose: async () => {
      tuning.close();
      await Promise.all([...jobs.values()].map((job) => job.close()));
      await stored.flushed();
    },
    handlers: Object.assign(handlers, tuning.handlers, {
      CreateTrainingJob: (input) => {
        const request = validateCreateTrainingJob(input);
        const account = /::(\d{12}):/.exec(request.roleArn)?.[1] ?? '000000000000';
        const arn = `arn:aws:sagemaker:${region}:${account}:training-job/${request.name.toLowerCase()}`;
        if (jobs.has(request.name) || stored.get(request.name) !== undefined) {
          throw new JsonProtocolError(
            'ResourceInUse',
            `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn})`,
          );
        }
        const refusals = faults.createCapacityErrors?.[request.instanceType] ?? 0;
        if (refusals > 0 && faults.createCapacityErrors !== undefined) {
          faults.createCapacityErrors[request.instanceType] = refusals - 1;
          throw new JsonProtocolError(
            'ResourceLimitExceeded',
            `The account-level service limit '${request.instanceType} for ${input['EnableManagedSpotTraining'] === true ? 'spot training job usage' : 'training job usage'}' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances. Please use AWS Service Quotas to request an increase for this quota. (simulated)`,
          );
        }
        const remaining = faults.capacityErrors?.[request.instanceType] ?? 0;
        if (remaining > 0 && faults.capacityErrors !== undefined) faults.capacityErrors[request.instanceType] = remaining - 1;
        const job = new TrainingJob(request, arn, settingsFor(), remaining > 0);
        jobs.set(request.name, job);
        persist(job);
        job.start();
        if ((faults.lostCreateResponses ?? 0) > 0) {
          faults.lostCreateResponses = (faults.lostCreateResponses ?? 0) - 1;
          throw new JsonProtocolError('InternalFailure', 'The job was created but the response was lost (simulated)', 500);
        }
        return { TrainingJobArn: arn };
      },
      DescribeTrainingJob: (input) => {
        const { live, record } = getJob(input);
        return live === undefined ? record : describe(live);
      },
      StopTrainingJob: (input) => {
        const { live, record } = getJob(input);
        const status = live?.status ?? record?.TrainingJobStatus;
        if (live === undefined || (status !== 'InProgress' && status !== 'Stopping')) {
          throw validationError(`The request was rejected because the training job is in status ${status}.`);
        }
        live.stop();
        return {};
      },
      ListTrainingJobs: (input) => {
        const request = parseSageMakerRequest(listTrainingJobsSchema, input);
        const maxResults = request.MaxResults ?? 10;
        const nameContains = request.NameContains ?? undefined;
        const statusEquals = request.StatusEquals ?? undefined;
        const sortBy = request.SortBy ?? 'CreationTime';
        const sortOrder = request.SortOrder ?? 'Descending';
        const [createdAfter, createdBefore] = [request.CreationTimeAfter ?? undefined, request.CreationTimeBefore ?? undefined];
        const [modifiedAfter, modifiedBefore] = [request.LastModifiedTimeAfter ?? undefined, request.LastModifiedTimeBefore ?? undefined];
        const summaries: JobSummary[] = [
          ...[...jobs.values()].map((j): JobSummary => ({
            TrainingJobName: j.request.name,
            TrainingJobArn: j.arn,
            CreationTime: j.creationTime.getTime() / 1000,
            TrainingEndTime: epoch(j.trainingEndTime),
            LastModifiedTime: j.lastModifiedTime.getTime() / 1000,
            TrainingJobStatus: j.status,
            SecondaryStatus: j.secondaryStatus,
          })),
          ...stored
            .list()
            .filter((record) => !jobs.has(record.TrainingJobName))
            .map((record): JobSummary => ({
              TrainingJobName: record.TrainingJobName,
              TrainingJobArn: record.TrainingJobArn,
              CreationTime: record.CreationTime,
              TrainingEndTime: record.TrainingEndTime,
              LastModifiedTime: record.LastModifiedTime,
              TrainingJobStatus: record.TrainingJobStatus,
              SecondaryStatus: record.SecondaryStatus,
            })),
        ];
        const key = (j: JobSummary): string | number =>
          sortBy === 'Name' ? j.TrainingJobName : sortBy === 'Status' ? j.TrainingJobStatus : j.CreationTime;
        const selected = summaries
          .filter((j) => nameContains === undefined || j.TrainingJobName.toLowerCase().includes(nameContains.toLowerCase()))
          .filter((j) => statusEquals === undefined || j.TrainingJobStatus === statusEquals)
          .filter((j) => createdAfter === undefined || j.CreationTime > createdAfter)
          .filter((j) => createdBefore === undefined || j.CreationTime < createdBefore)
          .filter((j) => modifiedAfter === undefined || j.LastModifiedTime > modifiedAfter)
          .filter((j) => modifiedBefore === undefined || j.LastModifiedTime < modifiedBefore)
          .sort((a, b) => {
            const [ka, kb] = [key(a), key(b)];
            const c = ka < kb ? -1 : ka > kb ? 1 : 0;
            return sortOrder === 'Ascending' ? c : -c;
          });
        const page = pageOf(selected, maxResults, request.NextToken ?? undefined);
        return defined({ TrainingJobSummaries: page.items.map((j) => defined({ ...j })), NextToken: page.nextToken });
      },
      CreateModelPackageGroup: (input) => registry.createGroup(parseSageMakerRequest(createModelPackageGroupSchema, input)),
      DescribeModelPackageGroup: (input) =>
        registry.describeGroup(parseSageMakerRequest(describeModelPackageGroupSchema, input).ModelPackageGroupName),
      CreateModelPackage: (input) => registry.createPackage(parseSageMakerRequest(createModelPackageSchema, input)),
      DescribeModelPackage: (input) => registry.describePackage(parseSageMakerRequest(describeModelPackageSchema, input).ModelPackageName),
      ListModelPackages: (input) => registry.listPackages(parseSageMakerRequest(listModelPackagesSchema, input)),
      UpdateModelPackage: (input) => registry.updatePackage(parseSageMakerRequest(updateModelPackageSchema, input)),
    } satisfies Record<string, JsonHandler>),
  });

  return {
    ...server,
    setFaults: (next) => {
      faults = structuredClone(next);
    },
    idle: async () => {
      await tuning.idle();
      await Promise.all([...jobs.values()].map((j) => j.done));
    },
    requests: () => ({ ...requests }),
    onOutput: (listener) => {
      outputListeners.add(listener);
      return () => outputListeners.delete(listener);
    },
  };
};
