/** Moves along the instance plan (src/steps/training-attempt/attempts.ts): pure functions, no clients. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveRunConfig, readDeploymentSettings } from '../../../../src/steps/validate-input/step';
import type { TrainingConfig } from '../../../../src/contracts/training-config';
import { InstancePlanExhaustedError, ThrottlingError, TrainingJobRejectedError } from '../../../../src/contracts/errors';
import {
  CAPACITY_FAILURE_PATTERNS,
  MAX_CREATE_RETRIES,
  afterCapacityFailure,
  afterCreateFailure,
  attemptStarted,
  classifyCreateError,
  firstAttempt,
  isCapacityFailure,
  type AttemptOutcome,
} from '../../../../src/steps/training-attempt/attempts';

const RUN = 'nightly';
const training = (): TrainingConfig => {
  const settings = readDeploymentSettings({
    DOCTRAIN_BUCKET: 'bucket-1',
    DOCTRAIN_TABLE: 'runs',
    DOCTRAIN_TRAINING_IMAGE: 'repo:latest',
    DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sm',
    DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
  });
  const config = resolveRunConfig(settings, { runId: RUN, training: { maxRuntimeSeconds: 3600, maxWaitSeconds: 7200 } }, RUN).training;
  return firstAttempt(config, config.plan, RUN);
};
const continued = (outcome: AttemptOutcome): TrainingConfig => {
  if (outcome.kind !== 'continue') throw outcome.error;
  return outcome.training;
};

describe('classifyCreateError', () => {
  it.each([
    [{ Error: 'SageMaker.ResourceInUseException', Cause: 'x' }, 'exists'],
    [{ Error: 'SageMaker.ResourceLimitExceededException', Cause: 'x' }, 'capacity'],
    [{ Error: 'SageMaker.ThrottlingException', Cause: 'Rate exceeded' }, 'throttled'],
    // The optimized integration's catch-all name: the code is in the Cause.
    [
      {
        Error: 'SageMaker.AmazonSageMakerException',
        Cause: 'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException)',
      },
      'throttled',
    ],
    [
      {
        Error: 'SageMaker.AmazonSageMakerException',
        Cause:
          "The account-level service limit 'ml.g5.xlarge for spot training job usage' is 0 Instances (Error Code: ResourceLimitExceeded)",
      },
      'capacity',
    ],
    [
      { Error: 'SageMaker.AmazonSageMakerException', Cause: 'a training job with this name already exists (Error Code: ResourceInUse)' },
      'exists',
    ],
    [{ Error: 'SageMaker.AmazonSageMakerException', Cause: '1 validation error detected (Error Code: ValidationException)' }, 'rejected'],
    [{ Error: 'SageMaker.ValidationException', Cause: 'bad' }, 'rejected'],
  ] as const)('%j -> %s', (error, kind) => {
    expect(classifyCreateError(error)).toBe(kind);
  });
});

describe('isCapacityFailure', () => {
  it('matches the capacity reasons and only those', () => {
    expect(isCapacityFailure({ FailureReason: 'CapacityError: Unable to provision requested ML compute capacity.' })).toBe(true);
    expect(isCapacityFailure({ FailureReason: 'InsufficientCapacityError: no spot capacity' })).toBe(true);
    expect(isCapacityFailure({ SecondaryStatus: 'MaxWaitTimeExceeded' })).toBe(true);
    expect(isCapacityFailure({ FailureReason: 'AlgorithmError: exit code 1' })).toBe(false);
    expect(isCapacityFailure({})).toBe(false);
    expect(() =>
      afterCapacityFailure(training(), RUN, { TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: exit code 1' }),
    ).toThrow(RangeError);
  });
});

describe("the poll loop's capacity rule in the ASL", () => {
  it('matches FailureReason with exactly CAPACITY_FAILURE_PATTERNS and routes to NextTrainingAttempt', () => {
    // Prepare
    const asl = parse(readFileSync(path.resolve(import.meta.dirname, '../../../../statemachines/train-pipeline.asl.yml'), 'utf8')) as {
      States: Record<string, { Choices?: { Next: string }[] }>;
    };
    // Act
    const rules = JSON.stringify(asl.States['TrainingStatus']?.Choices?.filter((c) => c.Next === 'NextTrainingAttempt'));
    const patterns = [...rules.matchAll(/"StringMatches":"([^"]+)"/g)].map((m) => m[1]);
    // Assess
    expect(patterns).toEqual([...CAPACITY_FAILURE_PATTERNS]);
    expect(rules).toContain('"StringEquals":"MaxWaitTimeExceeded"');
  });
});

describe('the instance plan', () => {
  it('starts on the first entry as attempt 1', () => {
    // Act
    const first = training();
    // Assess
    expect(first).toMatchObject({
      attempt: 1,
      planIndex: 0,
      jobName: `doctrain-${RUN}-a1`,
      instanceType: 'ml.g5.xlarge',
      spot: true,
      next: 'create',
    });
    expect(first.attempts).toEqual([
      { attempt: 1, jobName: `doctrain-${RUN}-a1`, instanceType: 'ml.g5.xlarge', spot: true, status: 'Creating' },
    ]);
    expect(attemptStarted(first).attempts[0]?.status).toBe('InProgress');
  });

  it("gives each entry its instance type's GPU count and keeps the instance count along the plan", () => {
    // Prepare: 2 instances of 8 GPUs, then a 4-GPU type, then a 1-GPU type.
    const settings = readDeploymentSettings({
      DOCTRAIN_BUCKET: 'bucket-1',
      DOCTRAIN_TABLE: 'runs',
      DOCTRAIN_TRAINING_IMAGE: 'repo:latest',
      DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sm',
      DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
      DOCTRAIN_INSTANCE_COUNT: '2',
      DOCTRAIN_INSTANCE_TYPE: 'ml.g5.48xlarge',
      DOCTRAIN_INSTANCE_FALLBACKS: 'ml.g5.12xlarge:spot,ml.g5.2xlarge:on-demand',
    });
    // 2 x 8 GPUs: a global batch of at least 16 (ValidateInput's rule).
    const config = resolveRunConfig(settings, { runId: RUN, training: { hyperparameters: { batch_size: 16 } } }, RUN).training;
    const capacity = { Error: 'SageMaker.ResourceLimitExceededException', Cause: 'quota 0' };
    // Act
    const first = firstAttempt(config, config.plan, RUN);
    const second = continued(afterCreateFailure(first, RUN, capacity));
    const third = continued(afterCreateFailure(second, RUN, capacity));
    // Assess
    expect([first, second, third].map((t) => [t.instanceType, t.instanceCount, t.environment.DOCTRAIN_NPROC_PER_NODE])).toEqual([
      ['ml.g5.48xlarge', 2, '8'],
      ['ml.g5.12xlarge', 2, '4'],
      ['ml.g5.2xlarge', 2, '1'],
    ]);
  });

  it('falls back entry by entry with a new job name, the same checkpoints and a StoppingCondition per spot', () => {
    // Act
    const second = continued(afterCreateFailure(training(), RUN, { Error: 'SageMaker.ResourceLimitExceededException', Cause: 'quota 0' }));
    const third = continued(
      afterCapacityFailure(attemptStarted(second), RUN, {
        TrainingJobStatus: 'Failed',
        FailureReason: 'CapacityError: Unable to provision',
        BillableTimeInSeconds: 12,
        TrainingTimeInSeconds: 30,
      }),
    );
    // Assess
    expect(second).toMatchObject({ attempt: 2, jobName: `doctrain-${RUN}-a2`, instanceType: 'ml.g5.2xlarge', spot: true });
    expect(second.stoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
    expect(third).toMatchObject({ attempt: 3, jobName: `doctrain-${RUN}-a3`, instanceType: 'ml.g5.xlarge', spot: false });
    expect(third.stoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    expect(third.checkpointS3Uri).toBe(training().checkpointS3Uri);
    expect(third.attempts.map((a) => [a.jobName, a.status, a.billableSeconds])).toEqual([
      [`doctrain-${RUN}-a1`, 'CreateFailed', undefined],
      [`doctrain-${RUN}-a2`, 'Failed', 12],
      [`doctrain-${RUN}-a3`, 'Creating', undefined],
    ]);
  });

  it('ends with InstancePlanExhaustedError after the last entry, keeping every attempt', () => {
    // Prepare
    let current = training();
    for (let i = 0; i < 2; i += 1)
      current = continued(afterCreateFailure(current, RUN, { Error: 'SageMaker.ResourceLimitExceededException' }));
    // Act
    const outcome = afterCreateFailure(current, RUN, { Error: 'SageMaker.ResourceLimitExceededException', Cause: 'none left' });
    // Assess
    expect(outcome.kind).toBe('stop');
    if (outcome.kind !== 'stop') return;
    expect(outcome.error).toBeInstanceOf(InstancePlanExhaustedError);
    expect(outcome.training.attempts.map((a) => a.status)).toEqual(['CreateFailed', 'CreateFailed', 'CreateFailed']);
  });

  it('adopts an existing job under the same name', () => {
    // Act
    const adopted = continued(afterCreateFailure(training(), RUN, { Error: 'SageMaker.ResourceInUseException', Cause: 'already exists' }));
    // Assess
    expect(adopted).toMatchObject({ next: 'adopt', attempt: 1, jobName: `doctrain-${RUN}-a1` });
  });

  it('retries a throttled create on the same entry with a growing wait, then gives up as ThrottlingError', () => {
    // Prepare
    let current = training();
    const waits: number[] = [];
    // Act
    for (let i = 0; i < MAX_CREATE_RETRIES; i += 1) {
      current = continued(afterCreateFailure(current, RUN, { Error: 'SageMaker.ThrottlingException', Cause: 'Rate exceeded' }));
      waits.push(current.waitSeconds);
    }
    const last = afterCreateFailure(current, RUN, { Error: 'SageMaker.ThrottlingException', Cause: 'Rate exceeded' });
    // Assess
    expect(waits).toEqual([5, 10, 20, 40, 80]);
    expect(current).toMatchObject({ attempt: 1, next: 'create' });
    expect(last.kind === 'stop' && last.error).toBeInstanceOf(ThrottlingError);
  });

  it('does not retry a validation error', () => {
    // Act
    const outcome = afterCreateFailure(training(), RUN, {
      Error: 'SageMaker.AmazonSageMakerException',
      Cause: 'Error Code: ValidationException',
    });
    // Assess
    expect(outcome.kind === 'stop' && outcome.error).toBeInstanceOf(TrainingJobRejectedError);
    expect(outcome.training.attempts[0]?.status).toBe('CreateFailed');
  });
});
