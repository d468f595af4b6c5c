/**
 * Hyperparameter tuning (SageMaker automatic model tuning): the execution input's `tuning` block, the
 * resolved `config.tuning` and the HyperParameterTuningJobConfig the pipeline's CreateHyperParameterTuningJob
 * sends (statemachines/train-pipeline.asl.yml). Every range is checked against the trainer's own
 * hyperparameter schema (./hyperparameters.ts) in ValidateInput, before anything costs money: a range whose
 * bounds the trainer would refuse, or over a hyperparameter it does not have, fails the run there.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { TRAINER_HYPERPARAMETERS, hyperparameterValueProblem } from './hyperparameters';
import { CLASSIFICATION_CORE_METRICS, CORE_METRICS, fieldExactMetric } from './metric-line';
import { DEFAULT_TASK, type Task } from './task';

export const TUNING_STRATEGIES = ['Random', 'Bayesian', 'Hyperband'] as const;
export const OBJECTIVE_TYPES = ['Maximize', 'Minimize'] as const;
export const SCALING_TYPES = ['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic'] as const;

/** SageMaker's limits: ResourceLimits and ParameterRanges (at most 30 ranges in all, 30 values a categorical range). */
export const TUNING_LIMITS = { maxJobs: 500, maxParallelJobs: 100, maxRanges: 30, maxCategoricalValues: 30, maxNameLength: 32 } as const;

/** What a run tunes by default: the validation entity F1 (the trainer's `val_f1=` metric line, the MetricDefinitions' `val_f1`). */
export const DEFAULT_OBJECTIVE_METRIC = 'val_f1';
/** ... and a classifier (task classification): its macro-F1 over the classes. */
export const DEFAULT_CLASSIFICATION_OBJECTIVE_METRIC = 'val_macro_f1';
export const TUNING_DEFAULTS = { strategy: 'Bayesian', maxJobs: 8, maxParallelJobs: 2 } as const;

const FIELD_EXACT_METRIC = new RegExp(`^${fieldExactMetric('[a-z0-9_]+')}$`);

/** Whether a training job of `task` reports `metric` (its metric line, src/contracts/metric-line.ts). */
export const taskReportsMetric = (task: Task, metric: string): boolean =>
  task === 'classification'
    ? (CLASSIFICATION_CORE_METRICS as readonly string[]).includes(metric)
    : (CORE_METRICS as readonly string[]).includes(metric) || FIELD_EXACT_METRIC.test(metric);

/** The metrics a job of `task` reports, as a message names them. */
const reportedMetrics = (task: Task): string =>
  task === 'classification' ? CLASSIFICATION_CORE_METRICS.join(', ') : `${CORE_METRICS.join(', ')}, or ${fieldExactMetric('<field>')}`;

const numericRangeSchema = z.strictObject({
  min: z.number(),
  max: z.number(),
  /** SageMaker's ScalingType; default Auto. Logarithmic needs min > 0; ReverseLogarithmic 0 <= min < max < 1. */
  scaling: z.enum(SCALING_TYPES).optional(),
});
const categoricalRangeSchema = z.strictObject({
  values: z
    .array(z.union([z.string(), z.number(), z.boolean()]))
    .min(1)
    .max(TUNING_LIMITS.maxCategoricalValues),
});
export const parameterRangeSchema = z.union([numericRangeSchema, categoricalRangeSchema]);
export type ParameterRange = z.infer<typeof parameterRangeSchema>;

/** The problems of one range for the trainer's hyperparameter `key` (empty: none). */
const rangeProblems = (key: string, range: ParameterRange): string[] => {
  const property = TRAINER_HYPERPARAMETERS[key];
  if (property === undefined) return [hyperparameterValueProblem(key, '') ?? `unknown hyperparameter "${key}"`];
  if ('values' in range) {
    const values = range.values.map(String);
    const problems = values.flatMap((value) => {
      const problem = hyperparameterValueProblem(key, value);
      return problem === null ? [] : [`value ${JSON.stringify(value)}: ${problem}`];
    });
    return new Set(values).size === values.length ? problems : [...problems, 'values must be distinct'];
  }
  if (property.type === 'string') return [`"${key}" is a string hyperparameter: give its candidates as {"values": [...]}, not min/max`];
  const problems = [range.min, range.max].flatMap((bound, i) => {
    const problem = hyperparameterValueProblem(key, String(bound));
    return problem === null ? [] : [`${i === 0 ? 'min' : 'max'}: ${problem}`];
  });
  if (!(range.min < range.max)) problems.push(`min (${range.min}) must be less than max (${range.max})`);
  if (range.scaling === 'Logarithmic' && !(range.min > 0)) problems.push('Logarithmic scaling needs min > 0');
  if (range.scaling === 'ReverseLogarithmic' && (property.type === 'integer' || !(range.min >= 0 && range.max < 1))) {
    problems.push('ReverseLogarithmic scaling is for continuous ranges within [0, 1)');
  }
  return problems;
};

/** The execution input's `tuning` block: present, the run's job is the best trial of a tuning job. */
export const tuningInputSchema = z
  .strictObject({
    /** SageMaker's search strategy; default Bayesian (the local SageMaker draws every strategy's trials at random). */
    strategy: z.enum(TUNING_STRATEGIES).optional(),
    /** Training jobs (trials) in all; default 8. */
    maxJobs: z.number().int().min(1).max(TUNING_LIMITS.maxJobs).optional(),
    /** Trials at once; default 2 (at most maxJobs). */
    maxParallelJobs: z.number().int().min(1).max(TUNING_LIMITS.maxParallelJobs).optional(),
    /** The metric the best trial is chosen by: a MetricDefinitions name; default val_f1, maximized (a *_loss: minimized). */
    objective: z
      .strictObject({
        metric: z
          .string()
          .refine(
            (name) => taskReportsMetric('token-classification', name) || taskReportsMetric('classification', name),
            `must be one of the trainer's metrics (${reportedMetrics('token-classification')}; a classifier: ${reportedMetrics('classification')})`,
          )
          .optional(),
        type: z.enum(OBJECTIVE_TYPES).optional(),
      })
      .optional(),
    /** SageMaker's early stopping of trials that do worse than the others (TrainingJobEarlyStoppingType AUTO); default true, not with Hyperband (its own). */
    earlyStopping: z.boolean().optional(),
    /** The strategy's seed (RandomSeed): the same seed, the same hyperparameter configurations. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    /** Hyperparameter -> its search range; a tuned key overrides training.hyperparameters. */
    ranges: z
      .record(z.string(), parameterRangeSchema)
      .refine((ranges) => Object.keys(ranges).length >= 1, 'name at least one hyperparameter to tune')
      .refine(
        (ranges) => Object.keys(ranges).length <= TUNING_LIMITS.maxRanges,
        `at most ${TUNING_LIMITS.maxRanges} hyperparameters (SageMaker's limit)`,
      )
      .superRefine((ranges, ctx) => {
        for (const [key, range] of Object.entries(ranges)) {
          for (const message of rangeProblems(key, range)) ctx.addIssue({ code: 'custom', message, path: [key] });
        }
      }),
  })
  .superRefine((tuning, ctx) => {
    if ((tuning.maxParallelJobs ?? 1) > (tuning.maxJobs ?? TUNING_DEFAULTS.maxJobs)) {
      ctx.addIssue({ code: 'custom', message: 'must be at most maxJobs', path: ['maxParallelJobs'] });
    }
    if (tuning.strategy === 'Hyperband' && tuning.earlyStopping === true) {
      ctx.addIssue({
        code: 'custom',
        message: 'Hyperband stops trials itself: leave earlyStopping unset or false',
        path: ['earlyStopping'],
      });
    }
  });
export type TuningInput = z.infer<typeof tuningInputSchema>;

const rangeName = z.string().min(1);
/** SageMaker's HyperParameterTuningJobConfig, as CreateHyperParameterTuningJob takes it. */
export const tuningJobConfigSchema = z.strictObject({
  Strategy: z.enum(TUNING_STRATEGIES),
  HyperParameterTuningJobObjective: z.strictObject({ Type: z.enum(OBJECTIVE_TYPES), MetricName: z.string().min(1) }),
  ResourceLimits: z.strictObject({ MaxNumberOfTrainingJobs: z.number().int(), MaxParallelTrainingJobs: z.number().int() }),
  ParameterRanges: z.strictObject({
    IntegerParameterRanges: z.array(
      z.strictObject({ Name: rangeName, MinValue: z.string(), MaxValue: z.string(), ScalingType: z.enum(SCALING_TYPES) }),
    ),
    ContinuousParameterRanges: z.array(
      z.strictObject({ Name: rangeName, MinValue: z.string(), MaxValue: z.string(), ScalingType: z.enum(SCALING_TYPES) }),
    ),
    CategoricalParameterRanges: z.array(z.strictObject({ Name: rangeName, Values: z.array(z.string()) })),
  }),
  TrainingJobEarlyStoppingType: z.enum(['Off', 'Auto']),
  RandomSeed: z.number().int().optional(),
});
export type TuningJobConfig = z.infer<typeof tuningJobConfigSchema>;

/** `config.tuning`: the run's tuning job, or null (config) for a run that trains one job. */
export const tuningConfigSchema = z.strictObject({
  /** `doctrain-<runId>` (SageMaker's limit is 32 characters: a longer run id is shortened, with a hash of it). */
  jobName: z.string().min(1).max(TUNING_LIMITS.maxNameLength),
  /** The hyperparameters the trials draw; the job's StaticHyperParameters are the run's without them. */
  tunedKeys: z.array(z.string()),
  jobConfig: tuningJobConfigSchema,
});
export type TuningConfig = z.infer<typeof tuningConfigSchema>;

/**
 * The run's tuning job name: `doctrain-<runId>` within SageMaker's 32 characters, else the run id's start
 * and 8 hex digits of its hash. Its trials (`<name>-<nnn>-<8 hex>`) are training jobs named `doctrain-*`,
 * under the same IAM grants as the run's own jobs.
 */
export const tuningJobName = (runId: string): string => {
  const name = `doctrain-${runId}`;
  if (name.length <= TUNING_LIMITS.maxNameLength) return name;
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  return `${name.slice(0, TUNING_LIMITS.maxNameLength - 9).replace(/-+$/, '')}-${hash}`;
};

/** The objective a run of `task` tunes when its input names none. */
export const defaultObjectiveMetric = (task: Task): string =>
  task === 'classification' ? DEFAULT_CLASSIFICATION_OBJECTIVE_METRIC : DEFAULT_OBJECTIVE_METRIC;

/** Why `metric` cannot be the objective of a run of `task` (a metric its jobs do not report); undefined when it can. */
export const objectiveProblem = (task: Task, metric: string): string | undefined =>
  taskReportsMetric(task, metric)
    ? undefined
    : `${metric} is not a metric a ${task} job reports: choose one of ${reportedMetrics(task)}, or leave it out (default ${defaultObjectiveMetric(task)})`;

/** The objective's default direction: losses are minimized, every other metric maximized. */
const defaultObjectiveType = (metric: string): (typeof OBJECTIVE_TYPES)[number] => (metric.endsWith('_loss') ? 'Minimize' : 'Maximize');

/** The HyperParameterTuningJobConfig for a parsed `tuning` block (the trainer's types decide Integer or Continuous). */
export const tuningJobConfig = (tuning: TuningInput, task: Task = DEFAULT_TASK): TuningJobConfig => {
  const metric = tuning.objective?.metric ?? defaultObjectiveMetric(task);
  const strategy = tuning.strategy ?? TUNING_DEFAULTS.strategy;
  const maxJobs = tuning.maxJobs ?? TUNING_DEFAULTS.maxJobs;
  const ranges = Object.entries(tuning.ranges).sort(([a], [b]) => a.localeCompare(b));
  const numeric = (type: 'integer' | 'number') =>
    ranges.flatMap(([Name, range]) =>
      'values' in range || TRAINER_HYPERPARAMETERS[Name]?.type !== type
        ? []
        : [{ Name, MinValue: String(range.min), MaxValue: String(range.max), ScalingType: range.scaling ?? 'Auto' }],
    );
  return tuningJobConfigSchema.parse({
    Strategy: strategy,
    HyperParameterTuningJobObjective: { Type: tuning.objective?.type ?? defaultObjectiveType(metric), MetricName: metric },
    ResourceLimits: {
      MaxNumberOfTrainingJobs: maxJobs,
      MaxParallelTrainingJobs: tuning.maxParallelJobs ?? Math.min(TUNING_DEFAULTS.maxParallelJobs, maxJobs),
    },
    ParameterRanges: {
      IntegerParameterRanges: numeric('integer'),
      ContinuousParameterRanges: numeric('number'),
      CategoricalParameterRanges: ranges.flatMap(([Name, range]) =>
        'values' in range ? [{ Name, Values: range.values.map(String) }] : [],
      ),
    },
    TrainingJobEarlyStoppingType: strategy !== 'Hyperband' && (tuning.earlyStopping ?? true) ? 'Auto' : 'Off',
    ...(tuning.seed === undefined ? {} : { RandomSeed: tuning.seed }),
  });
};

/**
 * The resolved `config.tuning` of an execution input's `tuning` block, for a run of `task` (the input's
 * `task`, or classification when it names a class list; token classification otherwise: a run that leaves
 * the task to its annotations is tuned as token classification).
 */
export const resolveTuning = (runId: string, tuning: TuningInput, task: Task = DEFAULT_TASK): TuningConfig => ({
  jobName: tuningJobName(runId),
  tunedKeys: Object.keys(tuning.ranges).sort(),
  jobConfig: tuningJobConfig(tuning, task),
});

/** The trials' StaticHyperParameters: the job's hyperparameters (warm start included) less the tuned ones. */
export const staticHyperparameters = (
  hyperparameters: Readonly<Record<string, string>>,
  tunedKeys: readonly string[],
): Record<string, string> => Object.fromEntries(Object.entries(hyperparameters).filter(([key]) => !tunedKeys.includes(key)));

/** One trial as the run record keeps it (FinalizeRun lists them all; the poll loop only the best so far). */
export const tuningTrialSchema = z.strictObject({
  trainingJobName: z.string().min(1),
  status: z.string().min(1),
  /** The trial's final objective metric (FinalHyperParameterTuningJobObjectiveMetric), when it reported one. */
  objectiveValue: z.number().optional(),
  /** The hyperparameters the strategy drew for it (TunedHyperParameters). */
  hyperparameters: z.record(z.string(), z.string()),
  billableSeconds: z.number().int().min(0).optional(),
  failureReason: z.string().optional(),
});
export type TuningTrial = z.infer<typeof tuningTrialSchema>;

/** The run record's `tuning`: the tuning job, its progress, the best trial so far and, once it ended, every trial. */
export const tuningRecordSchema = z.strictObject({
  jobName: z.string().min(1),
  strategy: z.enum(TUNING_STRATEGIES),
  objective: z.strictObject({ metric: z.string().min(1), type: z.enum(OBJECTIVE_TYPES) }),
  /** SageMaker's HyperParameterTuningJobStatus (`Creating` before the first poll). */
  status: z.string().min(1),
  trialsTotal: z.number().int().min(1),
  /** Trials that ended (completed, stopped by early stopping, failed). */
  trialsEnded: z.number().int().min(0),
  trialsInProgress: z.number().int().min(0),
  best: z.strictObject({ trainingJobName: z.string().min(1), objectiveValue: z.number().optional() }).nullable(),
  trials: z.array(tuningTrialSchema).optional(),
  failureReason: z.string().optional(),
});
export type TuningRecord = z.infer<typeof tuningRecordSchema>;
