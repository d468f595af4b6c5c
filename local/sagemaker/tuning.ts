/**
 * Local SageMaker automatic model tuning: CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob,
 * ListTrainingJobsForHyperParameterTuningJob and StopHyperParameterTuningJob, with SageMaker's request
 * constraints (local/http/aws-validation.ts) and its trial naming (`<tuning job>-<nnn>-<8 hex>`).
 *
 * Every strategy is a random search here: each trial's hyperparameters are drawn from the ranges (with
 * their scaling) by a PRNG seeded with RandomSeed (else the job name), so a rerun draws the same trials.
 * Trials are ordinary local training jobs, created through the CreateTrainingJob path (its validation,
 * runner and faults), at most MaxParallelTrainingJobs at once; each gets `_tuning_objective_metric` and its
 * own checkpoint prefix (`<CheckpointConfig.S3Uri>/<trial>/`). The objective is the trial's final value of
 * the metric (its FinalMetricDataList, from the metric definitions), the best trial the best Completed one.
 * Not emulated: early stopping (TrainingJobEarlyStoppingType Auto is accepted; every trial runs to its end),
 * Bayesian/Hyperband's adaptive choice, warm-start configs, Grid search.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { mulberry32, pick, randFloat, randInt, type Rng } from '../synth/prng';
import { enumMember, int, list, member, object, patterned, validationError } from '../http/aws-validation';
import { JsonProtocolError, type JsonObject } from '../http/json-protocol-server';
import type { TrainingJob } from './job';
import { pageOf } from './pagination';
import { parseSageMakerRequest, validateCreateTrainingJob } from './validate';

const TUNING_JOB_NAME = '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}';
const SCALING = enumMember(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic']);
const numericRange = object({ Name: member(256), MinValue: member(256), MaxValue: member(256), ScalingType: SCALING.optional() });
const MAX_INT = 2 ** 31 - 1;

const createTuningJobSchema = object({
  HyperParameterTuningJobName: patterned(32, 1, TUNING_JOB_NAME),
  HyperParameterTuningJobConfig: object({
    Strategy: enumMember(['Bayesian', 'Random', 'Hyperband', 'Grid']),
    HyperParameterTuningJobObjective: object({ Type: enumMember(['Maximize', 'Minimize']), MetricName: member(255) }).optional(),
    ResourceLimits: object({ MaxNumberOfTrainingJobs: int(1, MAX_INT).optional(), MaxParallelTrainingJobs: int(1, MAX_INT) }),
    ParameterRanges: object({
      IntegerParameterRanges: list(numericRange, 30).default([]),
      ContinuousParameterRanges: list(numericRange, 30).default([]),
      CategoricalParameterRanges: list(object({ Name: member(256), Values: list(member(256), 30, 1) }), 30).default([]),
    }).optional(),
    TrainingJobEarlyStoppingType: enumMember(['Off', 'Auto']).optional(),
    RandomSeed: int(0, MAX_INT).optional(),
  }),
  TrainingJobDefinition: object({
    AlgorithmSpecification: object({ MetricDefinitions: list(object({ Name: member(255), Regex: member(500) }), 40).default([]) }),
    StaticHyperParameters: z.record(z.string(), z.string()).default({}),
    CheckpointConfig: object({ S3Uri: member(1024) }).nullish(),
  }).optional(),
});
type CreateTuningJobRequest = z.output<typeof createTuningJobSchema>;
type TuningJobConfig = CreateTuningJobRequest['HyperParameterTuningJobConfig'];
type ParameterRanges = z.output<typeof createTuningJobSchema.shape.HyperParameterTuningJobConfig.shape.ParameterRanges>;

const tuningJobNameSchema = object({ HyperParameterTuningJobName: patterned(32, 1, TUNING_JOB_NAME) });
const listTrialsSchema = object({
  HyperParameterTuningJobName: patterned(32, 1, TUNING_JOB_NAME),
  MaxResults: int(1, 100).nullish(),
  NextToken: member(8192, 0).nullish(),
  StatusEquals: enumMember(['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped', 'Deleting']).nullish(),
  SortBy: enumMember(['Name', 'CreationTime', 'Status', 'FinalObjectiveMetricValue']).nullish(),
  SortOrder: enumMember(['Ascending', 'Descending']).nullish(),
});

const epoch = (d: Date | undefined): number | undefined => (d === undefined ? undefined : d.getTime() / 1000);
const defined = (o: Record<string, unknown>): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A value of one numeric range, drawn with its scaling (Auto draws linearly, as it may). */
const drawNumber = (rng: Rng, min: number, max: number, scaling: string | undefined, integer: boolean): number => {
  if (scaling === 'Logarithmic') {
    const value = Math.exp(randFloat(rng, Math.log(min), Math.log(max)));
    return integer ? Math.min(max, Math.max(min, Math.round(value))) : value;
  }
  if (scaling === 'ReverseLogarithmic') return 1 - Math.exp(randFloat(rng, Math.log(1 - max), Math.log(1 - min)));
  return integer ? randInt(rng, min, max) : randFloat(rng, min, max);
};

/** One trial's hyperparameters, drawn from the ranges in a fixed order (integer, continuous, categorical). */
export const drawHyperparameters = (rng: Rng, ranges: ParameterRanges): Record<string, string> => {
  const drawn: Record<string, string> = {};
  for (const range of ranges?.IntegerParameterRanges ?? []) {
    drawn[range.Name] = String(drawNumber(rng, Number(range.MinValue), Number(range.MaxValue), range.ScalingType, true));
  }
  for (const range of ranges?.ContinuousParameterRanges ?? []) {
    drawn[range.Name] = String(drawNumber(rng, Number(range.MinValue), Number(range.MaxValue), range.ScalingType, false));
  }
  for (const range of ranges?.CategoricalParameterRanges ?? []) drawn[range.Name] = pick(rng, range.Values);
  return drawn;
};

const checkRanges = (ranges: ParameterRanges): void => {
  const all = [...(ranges?.IntegerParameterRanges ?? []), ...(ranges?.ContinuousParameterRanges ?? [])];
  for (const range of all) {
    const [min, max] = [Number(range.MinValue), Number(range.MaxValue)];
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      throw validationError(`The range of hyperparameter ${range.Name} is invalid: MinValue ${range.MinValue}, MaxValue ${range.MaxValue}`);
    }
  }
  for (const range of ranges?.IntegerParameterRanges ?? []) {
    if (!Number.isInteger(Number(range.MinValue)) || !Number.isInteger(Number(range.MaxValue))) {
      throw validationError(`The integer range of hyperparameter ${range.Name} must have integer bounds`);
    }
  }
  const names = [...all, ...(ranges?.CategoricalParameterRanges ?? [])].map((range) => range.Name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw validationError(`Hyperparameter ${twice} has more than one range`);
};

interface Trial {
  name: string;
  tuned: Record<string, string>;
  creationTime: Date;
  /** Absent when its CreateTrainingJob was refused. */
  job?: TrainingJob;
  failureReason?: string;
}

class TuningJob {
  public status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped' = 'InProgress';
  public readonly trials: Trial[] = [];
  public readonly creationTime = new Date();
  public endTime: Date | undefined;
  public lastModifiedTime = this.creationTime;
  public failureReason: string | undefined;
  public done: Promise<void> = Promise.resolve();
  private readonly rng: Rng;

  public constructor(
    public readonly request: CreateTuningJobRequest,
    public readonly input: JsonObject,
    public readonly arn: string,
    private readonly createTrainingJob: (input: JsonObject) => TrainingJob,
  ) {
    const config = request.HyperParameterTuningJobConfig;
    this.rng = mulberry32(config.RandomSeed ?? createHash('sha256').update(request.HyperParameterTuningJobName).digest().readUInt32BE(0));
  }

  private get config(): TuningJobConfig {
    return this.request.HyperParameterTuningJobConfig;
  }

  public get objective(): { Type: 'Maximize' | 'Minimize'; MetricName: string } {
    const objective = this.config.HyperParameterTuningJobObjective;
    if (objective === undefined) throw new Error('validated: the objective is required');
    return objective;
  }

  /** The trial's CreateTrainingJob request: the definition, the drawn and the static hyperparameters, its own checkpoint prefix. */
  public trialRequest(name: string, tuned: Record<string, string>): JsonObject {
    const definition = { ...(this.input['TrainingJobDefinition'] as JsonObject) };
    const statics = (definition['StaticHyperParameters'] as Record<string, string> | undefined) ?? {};
    delete definition['StaticHyperParameters'];
    delete definition['DefinitionName'];
    delete definition['TuningObjective'];
    delete definition['HyperParameterRanges'];
    const checkpoint = definition['CheckpointConfig'] as { S3Uri: string; LocalPath?: string } | undefined | null;
    return {
      ...definition,
      TrainingJobName: name,
      HyperParameters: { ...statics, ...tuned, _tuning_objective_metric: this.objective.MetricName },
      ...(checkpoint ? { CheckpointConfig: { ...checkpoint, S3Uri: `${checkpoint.S3Uri.replace(/\/*$/, '/')}${name}/` } } : {}),
    };
  }

  public nextTrial(): { name: string; tuned: Record<string, string> } {
    const index = this.trials.length + 1;
    const hex = Math.floor(this.rng() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
    const name = `${this.request.HyperParameterTuningJobName}-${String(index).padStart(3, '0')}-${hex}`;
    return { name, tuned: drawHyperparameters(this.rng, this.config.ParameterRanges) };
  }

  public start(): void {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const maxJobs = this.config.ResourceLimits.MaxNumberOfTrainingJobs ?? 1;
    const maxParallel = this.config.ResourceLimits.MaxParallelTrainingJobs;
    const running = new Set<Promise<void>>();
    while (this.trials.length < maxJobs && this.status === 'InProgress') {
      while (running.size < maxParallel && this.trials.length < maxJobs && this.status === 'InProgress') {
        const trial = this.startTrial();
        running.add(trial);
        void trial.finally(() => running.delete(trial));
      }
      await Promise.race(running);
    }
    await Promise.all(running);
    this.finish();
  }

  private startTrial(): Promise<void> {
    const { name, tuned } = this.nextTrial();
    const trial: Trial = { name, tuned, creationTime: new Date() };
    this.trials.push(trial);
    this.lastModifiedTime = new Date();
    try {
      trial.job = this.createTrainingJob(this.trialRequest(name, tuned));
    } catch (error) {
      trial.failureReason = (error as Error).message;
      return Promise.resolve();
    }
    return trial.job.done.then(() => {
      this.lastModifiedTime = new Date();
    });
  }

  private finish(): void {
    this.endTime = new Date();
    this.lastModifiedTime = this.endTime;
    if (this.status === 'Stopping') {
      this.status = 'Stopped';
      return;
    }
    if (this.best() === undefined) {
      this.status = 'Failed';
      this.failureReason = this.trials.every((t) => this.trialStatus(t) === 'Failed')
        ? 'All training jobs failed. Please check the training job failure reasons.'
        : `No training job reported the objective metric ${this.objective.MetricName}`;
      return;
    }
    this.status = 'Completed';
  }

  public stop(): void {
    if (this.status !== 'InProgress') return;
    this.status = 'Stopping';
    this.lastModifiedTime = new Date();
    for (const trial of this.trials) if (trial.job?.status === 'InProgress') trial.job.stop();
  }

  public trialStatus(trial: Trial): string {
    return trial.job?.status ?? 'Failed';
  }

  public objectiveOf(trial: Trial): number | undefined {
    return trial.job?.metrics.get(this.objective.MetricName)?.Value;
  }

  /** The Completed trial with the best objective (the earliest of equals), as BestTrainingJob. */
  public best(): Trial | undefined {
    const sign = this.objective.Type === 'Maximize' ? 1 : -1;
    let best: Trial | undefined;
    for (const trial of this.trials) {
      const value = this.objectiveOf(trial);
      if (this.trialStatus(trial) !== 'Completed' || value === undefined) continue;
      const bestValue = best === undefined ? undefined : this.objectiveOf(best);
      if (bestValue === undefined || sign * value > sign * bestValue) best = trial;
    }
    return best;
  }

  public summary(trial: Trial): JsonObject {
    const value = this.objectiveOf(trial);
    const status = this.trialStatus(trial);
    return defined({
      TrainingJobName: trial.name,
      TrainingJobArn: trial.job?.arn,
      TuningJobName: this.request.HyperParameterTuningJobName,
      CreationTime: epoch(trial.creationTime),
      TrainingStartTime: epoch(trial.job?.trainingStartTime),
      TrainingEndTime: epoch(trial.job?.trainingEndTime),
      TrainingJobStatus: status,
      TunedHyperParameters: trial.tuned,
      FailureReason: trial.failureReason ?? trial.job?.failureReason,
      FinalHyperParameterTuningJobObjectiveMetric:
        value === undefined ? undefined : { Type: this.objective.Type, MetricName: this.objective.MetricName, Value: value },
      ObjectiveStatus: value !== undefined ? 'Succeeded' : status === 'InProgress' || status === 'Stopping' ? 'Pending' : 'Failed',
    });
  }

  public describe(): JsonObject {
    const count = (...statuses: string[]): number => this.trials.filter((t) => statuses.includes(this.trialStatus(t))).length;
    const objectives = this.trials.map((t) => this.summary(t)['ObjectiveStatus']);
    const best = this.best();
    return defined({
      HyperParameterTuningJobName: this.request.HyperParameterTuningJobName,
      HyperParameterTuningJobArn: this.arn,
      HyperParameterTuningJobConfig: this.input['HyperParameterTuningJobConfig'],
      TrainingJobDefinition: this.input['TrainingJobDefinition'],
      HyperParameterTuningJobStatus: this.status,
      CreationTime: epoch(this.creationTime),
      HyperParameterTuningEndTime: epoch(this.endTime),
      LastModifiedTime: epoch(this.lastModifiedTime),
      TrainingJobStatusCounters: {
        Completed: count('Completed'),
        InProgress: count('InProgress', 'Stopping'),
        RetryableError: 0,
        NonRetryableError: count('Failed'),
        Stopped: count('Stopped'),
      },
      ObjectiveStatusCounters: {
        Succeeded: objectives.filter((s) => s === 'Succeeded').length,
        Pending: objectives.filter((s) => s === 'Pending').length,
        Failed: objectives.filter((s) => s === 'Failed').length,
      },
      BestTrainingJob: best === undefined ? undefined : this.summary(best),
      FailureReason: this.failureReason,
    });
  }
}

export interface LocalTuning {
  handlers: Record<string, (input: JsonObject) => JsonObject>;
  /** Resolves when every tuning job started so far has ended. */
  idle(): Promise<void>;
  close(): void;
}

/**
 * The tuning operations of the local SageMaker (local/sagemaker/index.ts hooks them in). `createTrainingJob`
 * creates and starts one training job from a CreateTrainingJob request, as that operation does (it throws
 * the operation's errors), and returns it.
 */
export const localTuning = (options: {
  region: string;
  account: (roleArn: string) => string;
  createTrainingJob: (input: JsonObject) => TrainingJob;
}): LocalTuning => {
  const tuningJobs = new Map<string, TuningJob>();
  const getTuningJob = (input: JsonObject): TuningJob => {
    const name = parseSageMakerRequest(tuningJobNameSchema, input).HyperParameterTuningJobName;
    const job = tuningJobs.get(name.toLowerCase());
    if (job === undefined) throw new JsonProtocolError('ResourceNotFound', `Amazon SageMaker can't find a tuning job with name ${name}`);
    return job;
  };
  return {
    handlers: {
      CreateHyperParameterTuningJob: (input) => {
        const request = parseSageMakerRequest(createTuningJobSchema, input);
        const config = request.HyperParameterTuningJobConfig;
        const name = request.HyperParameterTuningJobName;
        if (request.TrainingJobDefinition === undefined) {
          throw validationError('TrainingJobDefinition is required by the local SageMaker (TrainingJobDefinitions is not supported)');
        }
        if (config.Strategy === 'Grid') throw validationError('Strategy Grid is not supported by the local SageMaker');
        if (config.HyperParameterTuningJobObjective === undefined) {
          throw validationError('HyperParameterTuningJobObjective is required for strategy ' + config.Strategy);
        }
        if (config.ResourceLimits.MaxNumberOfTrainingJobs === undefined) {
          throw validationError('ResourceLimits.MaxNumberOfTrainingJobs is required by the local SageMaker');
        }
        if (config.Strategy === 'Hyperband' && config.TrainingJobEarlyStoppingType === 'Auto') {
          throw validationError('TrainingJobEarlyStoppingType must be Off for the Hyperband strategy');
        }
        checkRanges(config.ParameterRanges);
        const metricName = config.HyperParameterTuningJobObjective.MetricName;
        const definitions = request.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions;
        if (!definitions.some((d) => d.Name === metricName)) {
          throw validationError(`The objective metric ${metricName} is not one of the algorithm's MetricDefinitions`);
        }
        if (tuningJobs.has(name.toLowerCase())) {
          throw validationError(`Hyperparameter tuning job names must be unique within an AWS account and region; ${name} already exists`);
        }
        const roleArn = (request.TrainingJobDefinition as { RoleArn?: unknown }).RoleArn;
        const arn = `arn:aws:sagemaker:${options.region}:${options.account(typeof roleArn === 'string' ? roleArn : '')}:hyper-parameter-tuning-job/${name.toLowerCase()}`;
        const job = new TuningJob(request, input, arn, options.createTrainingJob);
        // The definition as each trial's CreateTrainingJob will send it: refused now, not trial by trial.
        validateCreateTrainingJob(job.trialRequest(`${name}-000-00000000`, drawHyperparameters(mulberry32(0), config.ParameterRanges)));
        tuningJobs.set(name.toLowerCase(), job);
        job.start();
        return { HyperParameterTuningJobArn: arn };
      },
      DescribeHyperParameterTuningJob: (input) => getTuningJob(input).describe(),
      StopHyperParameterTuningJob: (input) => {
        const job = getTuningJob(input);
        if (job.status !== 'InProgress') {
          throw validationError(`The request was rejected because the tuning job is in status ${job.status}.`);
        }
        job.stop();
        return {};
      },
      ListTrainingJobsForHyperParameterTuningJob: (input) => {
        const request = parseSageMakerRequest(listTrialsSchema, input);
        const job = getTuningJob(input);
        const sortBy = request.SortBy ?? 'Name';
        const sortOrder = request.SortOrder ?? 'Ascending';
        const summaries = job.trials
          .map((trial) => ({ trial, summary: job.summary(trial) }))
          .filter(
            ({ trial }) =>
              request.StatusEquals === undefined || request.StatusEquals === null || job.trialStatus(trial) === request.StatusEquals,
          );
        const key = ({ trial }: { trial: Trial }): string | number =>
          sortBy === 'Name'
            ? trial.name
            : sortBy === 'Status'
              ? job.trialStatus(trial)
              : sortBy === 'CreationTime'
                ? trial.creationTime.getTime()
                : (job.objectiveOf(trial) ?? -Infinity);
        summaries.sort((a, b) => {
          const [ka, kb] = [key(a), key(b)];
          const c = ka < kb ? -1 : ka > kb ? 1 : 0;
          return sortOrder === 'Ascending' ? c : -c;
        });
        const page = pageOf(summaries, request.MaxResults ?? 10, request.NextToken ?? undefined);
        return defined({ TrainingJobSummaries: page.items.map(({ summary }) => summary), NextToken: page.nextToken });
      },
    },
    idle: async () => {
      await Promise.all([...tuningJobs.values()].map((job) => job.done));
    },
    close: () => {
      for (const job of tuningJobs.values()) job.stop();
    },
  };
};
