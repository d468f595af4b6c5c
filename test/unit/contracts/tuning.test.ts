/**
 * The execution input's `tuning` block (src/contracts/tuning.ts): checked against the trainer's hyperparameter
 * schema in ValidateInput, before anything costs money, and turned into the HyperParameterTuningJobConfig
 * CreateHyperParameterTuningJob sends.
 */
import { describe, expect, it } from 'vitest';
import { readDeploymentSettings, resolveRunConfig } from '../../../src/steps/validate-input/step';
import {
  DEFAULT_OBJECTIVE_METRIC,
  TUNING_LIMITS,
  staticHyperparameters,
  tuningInputSchema,
  tuningJobConfig,
  tuningJobName,
} from '../../../src/contracts/tuning';
import { InvalidInputError } from '../../../src/contracts/errors';

const settings = readDeploymentSettings({
  DOCTRAIN_BUCKET: 'doctrain-dev-documents',
  DOCTRAIN_TABLE: 'doctrain-dev-runs',
  DOCTRAIN_TRAINING_IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer:latest',
  DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/doctrain-dev-sagemaker',
  DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
});

/** The message ValidateInput fails the run with for this `tuning` block. */
const rejection = (tuning: unknown): string => {
  try {
    resolveRunConfig(settings, { tuning }, 'tuning-run');
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('expected the tuning block to be rejected');
};

describe('the tuning input', () => {
  it('resolves to no tuning job when the input has none', () => {
    // Act
    const config = resolveRunConfig(settings, {}, 'plain-run');
    // Assess
    expect(config.tuning).toBeNull();
  });

  it('defaults to a Bayesian search of 8 jobs, 2 at once, maximizing val_f1 with early stopping', () => {
    // Prepare
    const tuning = { ranges: { learning_rate: { min: 0.0001, max: 0.01, scaling: 'Logarithmic' }, num_layers: { min: 1, max: 4 } } };
    // Act
    const config = resolveRunConfig(settings, { runId: 'tune-1', tuning }, 'tune-1').tuning;
    // Assess
    expect(config).toEqual({
      jobName: 'doctrain-tune-1',
      tunedKeys: ['learning_rate', 'num_layers'],
      jobConfig: {
        Strategy: 'Bayesian',
        HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: DEFAULT_OBJECTIVE_METRIC },
        ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
        ParameterRanges: {
          IntegerParameterRanges: [{ Name: 'num_layers', MinValue: '1', MaxValue: '4', ScalingType: 'Auto' }],
          ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.0001', MaxValue: '0.01', ScalingType: 'Logarithmic' }],
          CategoricalParameterRanges: [],
        },
        TrainingJobEarlyStoppingType: 'Auto',
      },
    });
  });

  it('takes the strategy, limits, seed, objective and categorical ranges as given; a loss is minimized', () => {
    // Prepare
    const tuning = {
      strategy: 'Random',
      maxJobs: 4,
      maxParallelJobs: 1,
      seed: 7,
      earlyStopping: false,
      objective: { metric: 'val_loss' },
      ranges: { backend: { values: ['compact', 'hf'] }, epochs: { values: [2, 3] } },
    };
    // Act
    const config = tuningJobConfig(tuningInputSchema.parse(tuning));
    // Assess
    expect(config).toMatchObject({
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'val_loss' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 1 },
      ParameterRanges: {
        CategoricalParameterRanges: [
          { Name: 'backend', Values: ['compact', 'hf'] },
          { Name: 'epochs', Values: ['2', '3'] },
        ],
      },
      TrainingJobEarlyStoppingType: 'Off',
      RandomSeed: 7,
    });
  });

  it('turns early stopping off for Hyperband, which stops trials itself, and refuses it asked for', () => {
    // Prepare
    const ranges = { dropout: { min: 0, max: 0.5 } };
    // Act
    const config = tuningJobConfig(tuningInputSchema.parse({ strategy: 'Hyperband', ranges }));
    const message = rejection({ strategy: 'Hyperband', earlyStopping: true, ranges });
    // Assess
    expect(config.TrainingJobEarlyStoppingType).toBe('Off');
    expect(message).toContain('tuning.earlyStopping: Hyperband stops trials itself');
  });

  it.each([
    [
      { ranges: { learning_rat: { min: 0.001, max: 0.01 } } },
      'tuning.ranges.learning_rat: unknown hyperparameter "learning_rat" (did you mean "learning_rate"?)',
    ],
    [{ ranges: { epochs: { min: 0, max: 10 } } }, 'tuning.ranges.epochs: min: must be in [1, 100000], got 0'],
    [{ ranges: { num_layers: { min: 1.5, max: 3 } } }, 'tuning.ranges.num_layers: min: must be an integer, got "1.5"'],
    [{ ranges: { dropout: { min: 0.5, max: 0.1 } } }, 'tuning.ranges.dropout: min (0.5) must be less than max (0.1)'],
    [{ ranges: { dropout: { min: 0, max: 0.5, scaling: 'Logarithmic' } } }, 'tuning.ranges.dropout: Logarithmic scaling needs min > 0'],
    [{ ranges: { backend: { min: 1, max: 2 } } }, 'tuning.ranges.backend: "backend" is a string hyperparameter'],
    [{ ranges: { backend: { values: ['compact', 'huge'] } } }, 'tuning.ranges.backend: value "huge": must be one of: compact, hf'],
    [{ ranges: {} }, 'tuning.ranges: name at least one hyperparameter to tune'],
    [{ maxJobs: 2, maxParallelJobs: 3, ranges: { dropout: { min: 0, max: 0.5 } } }, 'tuning.maxParallelJobs: must be at most maxJobs'],
    [
      { objective: { metric: 'val_f2' }, ranges: { dropout: { min: 0, max: 0.5 } } },
      "tuning.objective.metric: must be one of the trainer's metrics",
    ],
    [{ strategy: 'Grid', ranges: { dropout: { min: 0, max: 0.5 } } }, 'tuning.strategy'],
  ])('refuses %j before anything costs money, naming the field and why', (tuning, expected) => {
    // Act
    const message = rejection(tuning);
    // Assess
    expect(message).toContain(expected);
  });

  it("tunes a classifier by its macro-F1 unless told otherwise, and refuses an objective the run's task does not report", () => {
    // Prepare
    const ranges = { dropout: { min: 0, max: 0.5 } };
    const objectiveOf = (input: Record<string, unknown>) =>
      resolveRunConfig(settings, { ...input, tuning: { ...(input['tuning'] as object), ranges } }, 'tune-task').tuning?.jobConfig
        .HyperParameterTuningJobObjective;
    // Act / Assess
    expect(objectiveOf({ task: 'classification' })).toEqual({ Type: 'Maximize', MetricName: 'val_macro_f1' });
    expect(objectiveOf({ dataset: { classes: ['invoice', 'receipt'] } })).toEqual({ Type: 'Maximize', MetricName: 'val_macro_f1' });
    expect(objectiveOf({ task: 'classification', tuning: { objective: { metric: 'val_accuracy' } } })).toEqual({
      Type: 'Maximize',
      MetricName: 'val_accuracy',
    });
    expect(objectiveOf({ task: 'token-classification' })).toEqual({ Type: 'Maximize', MetricName: 'val_f1' });
    expect(() => objectiveOf({ task: 'classification', tuning: { objective: { metric: 'val_f1' } } })).toThrow(
      /tuning\.objective\.metric val_f1 is not a metric a classification job reports: choose one of train_loss, val_loss, val_accuracy, val_macro_f1/,
    );
    expect(() => objectiveOf({ tuning: { objective: { metric: 'val_macro_f1' } } })).toThrow(
      /val_macro_f1 is not a metric a token-classification job reports.*a classifier names task: classification/,
    );
  });

  it('refuses more ranges than SageMaker searches', () => {
    // Prepare: 31 ranges (over keys the trainer lacks: the limit is reported beside those).
    const ranges = Object.fromEntries(Array.from({ length: TUNING_LIMITS.maxRanges + 1 }, (_, i) => [`sagemaker_${i}`, { values: ['a'] }]));
    // Act
    const message = rejection({ ranges });
    // Assess
    expect(message).toContain(`at most ${TUNING_LIMITS.maxRanges} hyperparameters`);
  });
});

describe('tuning job names', () => {
  it('is doctrain-<runId> within 32 characters, else shortened with a hash of the run id', () => {
    // Act
    const short = tuningJobName('weekly-1');
    const long = tuningJobName('a'.repeat(48));
    const other = tuningJobName(`${'a'.repeat(47)}b`);
    // Assess
    expect(short).toBe('doctrain-weekly-1');
    expect(long).toHaveLength(32);
    expect(long).toMatch(/^doctrain-a+-[0-9a-f]{8}$/);
    expect(other).not.toBe(long);
    for (const name of [short, long, other]) expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/);
  });
});

describe('the trials’ static hyperparameters', () => {
  it('are the job hyperparameters without the tuned ones (a tuned key overrides the run’s value)', () => {
    // Act
    const statics = staticHyperparameters({ epochs: '2', learning_rate: '0.1', warm_start: 'true' }, ['learning_rate']);
    // Assess
    expect(statics).toEqual({ epochs: '2', warm_start: 'true' });
  });
});

describe('the trials’ hyperparameter count', () => {
  it("refuses a tuning run whose trials would pass SageMaker's 100 hyperparameters", () => {
    // Prepare: 99 static keys the trainer ignores, one tuned key and _tuning_objective_metric: 101.
    const hyperparameters = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`sagemaker_${i}`, 'x']));
    const input = { training: { hyperparameters }, tuning: { ranges: { dropout: { min: 0, max: 0.5 } } } };
    // Act
    const refuse = () => resolveRunConfig(settings, input, 'too-many');
    const { sagemaker_98: _dropped, ...fewerKeys } = hyperparameters;
    const fits = () => resolveRunConfig(settings, { ...input, training: { hyperparameters: fewerKeys } }, 'fits');
    // Assess
    expect(refuse).toThrow(/each tuning trial gets .* SageMaker takes at most 100: remove 1 from training.hyperparameters/);
    expect(fits).not.toThrow();
  });
});
