import {
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  SageMakerClient,
  type DescribeHyperParameterTuningJobResponse,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTuning, tuningInputSchema } from '../../../../src/contracts/tuning';
import { pollTuning, prepareTuning } from '../../../../src/steps/tuning-job/step';
import { tuningTrials } from '../../../../src/steps/finalize-run/tuning-trials';
import type { RunStore, StatusChange } from '../../../../src/status/run-store';

const tuning = resolveTuning(
  'r1',
  tuningInputSchema.parse({ strategy: 'Random', maxJobs: 4, ranges: { learning_rate: { min: 0.001, max: 0.01 } } }),
);
const NOW = new Date('2026-12-07T01:00:00Z');
const sagemaker = mockClient(SageMakerClient);
afterEach(() => sagemaker.reset());

const storeDouble = (fail = false, stopRequested = false) => {
  const changes: StatusChange[] = [];
  const store = {
    writeStatusChange: (change: StatusChange) =>
      fail ? Promise.reject(new Error('throttled')) : Promise.resolve(void changes.push(change)),
    getRun: () =>
      fail
        ? Promise.reject(new Error('throttled'))
        : Promise.resolve(stopRequested ? { stopRequested: { at: NOW.toISOString(), by: 'cli' } } : undefined),
  } as unknown as RunStore;
  return { changes, store };
};

const described = (overrides: Partial<DescribeHyperParameterTuningJobResponse>): DescribeHyperParameterTuningJobResponse =>
  ({
    HyperParameterTuningJobName: tuning.jobName,
    HyperParameterTuningJobStatus: 'InProgress',
    TrainingJobStatusCounters: { Completed: 1, InProgress: 1, Stopped: 0, NonRetryableError: 0, RetryableError: 0 },
    ...overrides,
  }) as DescribeHyperParameterTuningJobResponse;

describe('prepareTuning', () => {
  it('takes the tuned keys out of the static hyperparameters and records the run TRAINING with its tuning job', async () => {
    // Prepare
    const { changes, store } = storeDouble();
    // Act
    const prepared = await prepareTuning(
      { store, now: () => NOW },
      {
        action: 'prepare',
        runId: 'r1',
        executionName: 'r1',
        tuning,
        hyperparameters: { epochs: '2', learning_rate: '0.5' },
        pollSeconds: 30,
        attributes: { datasetFingerprint: 'f'.repeat(64) },
      },
    );
    // Assess
    expect(prepared).toEqual({
      staticHyperParameters: { epochs: '2' },
      poll: { status: 'Creating', pollCount: 0, waitSeconds: 30, startedAt: null },
    });
    expect(changes[0]).toMatchObject({
      status: 'TRAINING',
      attributes: {
        datasetFingerprint: 'f'.repeat(64),
        tuning: {
          jobName: 'doctrain-r1',
          strategy: 'Random',
          objective: { metric: 'val_f1', type: 'Maximize' },
          trialsTotal: 4,
          best: null,
        },
      },
    });
  });
});

describe('pollTuning', () => {
  const poll = (store: RunStore, errors: unknown[] = []) =>
    pollTuning(
      {
        sagemaker: new SageMakerClient({ region: 'us-east-1' }),
        store,
        now: () => NOW,
        maxPollSeconds: 300,
        onProgressError: (e) => errors.push(e),
      },
      { action: 'poll', runId: 'r1', executionName: 'r1', tuning, pollSeconds: 30, pollCount: 2, startedAt: '2026-12-07T00:00:00Z' },
    );

  it('records trials ended, in progress and the best so far, and waits on', async () => {
    // Prepare
    sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(
      described({
        BestTrainingJob: {
          TrainingJobName: 'doctrain-r1-001-0a1b2c3d',
          FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'val_f1', Value: 0.8 },
        } as DescribeHyperParameterTuningJobResponse['BestTrainingJob'],
      }),
    );
    const { changes, store } = storeDouble();
    // Act
    const result = await poll(store);
    // Assess
    expect(result).toEqual({
      status: 'InProgress',
      pollCount: 3,
      waitSeconds: expect.any(Number) as number,
      startedAt: '2026-12-07T00:00:00Z',
      bestTrainingJobName: 'doctrain-r1-001-0a1b2c3d',
      failureReason: null,
      stopRequested: false,
    });
    expect(result.waitSeconds).toBeGreaterThanOrEqual(30);
    expect(result.waitSeconds).toBeLessThanOrEqual(300);
    expect(changes[0]?.attributes?.tuning).toMatchObject({
      status: 'InProgress',
      trialsEnded: 1,
      trialsInProgress: 1,
      best: { trainingJobName: 'doctrain-r1-001-0a1b2c3d', objectiveValue: 0.8 },
    });
    expect(changes[0]?.progressKey).toBe('tuning-InProgress-1of4');
  });

  it("hands on a failed job's reason, and a completed job without a best trial as a failure", async () => {
    // Prepare
    const { store } = storeDouble();
    sagemaker
      .on(DescribeHyperParameterTuningJobCommand)
      .resolvesOnce(described({ HyperParameterTuningJobStatus: 'Failed', FailureReason: 'All training jobs failed.' }));
    sagemaker
      .on(DescribeHyperParameterTuningJobCommand)
      .resolvesOnce(described({ HyperParameterTuningJobStatus: 'Failed', FailureReason: 'All training jobs failed.' }))
      .resolvesOnce(described({ HyperParameterTuningJobStatus: 'Completed' }));
    // Act
    const failed = await poll(store);
    const empty = await poll(store);
    // Assess
    expect(failed).toMatchObject({ status: 'Failed', failureReason: 'All training jobs failed.', bestTrainingJobName: null });
    expect(empty.failureReason).toContain('completed without a best training job: no trial reported val_f1');
  });

  it('never fails the poll for a progress write that failed', async () => {
    // Prepare
    sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(described({}));
    const { store } = storeDouble(true);
    const errors: unknown[] = [];
    // Act
    const result = await poll(store, errors);
    // Assess
    expect(result.status).toBe('InProgress');
    expect(errors).toHaveLength(2);
  });

  it('says so when the run record holds a stop request', async () => {
    // Prepare
    sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves(described({}));
    const { store } = storeDouble(false, true);
    // Act
    const result = await poll(store);
    // Assess
    expect(result.stopRequested).toBe(true);
  });
});

describe('tuningTrials', () => {
  it('lists every trial over the pages, with its billable seconds, leaving the best out of the other jobs', async () => {
    // Prepare: two pages of trials.
    const summary = (n: number, value: number) => ({
      TrainingJobName: `doctrain-r1-00${n}-0000000${n}`,
      TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/doctrain-r1-00${n}-0000000${n}`,
      CreationTime: new Date(),
      TrainingJobStatus: 'Completed' as const,
      TunedHyperParameters: { learning_rate: `0.00${n}` },
      FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'val_f1', Value: value },
    });
    sagemaker
      .on(ListTrainingJobsForHyperParameterTuningJobCommand)
      .resolvesOnce({ TrainingJobSummaries: [summary(1, 0.5)], NextToken: 'next' })
      .resolvesOnce({ TrainingJobSummaries: [summary(2, 0.7)] });
    sagemaker.on(DescribeTrainingJobCommand).callsFake((input: { TrainingJobName: string }) => ({
      TrainingJobName: input.TrainingJobName,
      ResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      EnableManagedSpotTraining: true,
      TrainingTimeInSeconds: 100,
      BillableTimeInSeconds: 40,
    }));
    // Act
    const result = await tuningTrials(new SageMakerClient({ region: 'us-east-1' }), tuning, 'doctrain-r1-002-00000002', NOW);
    // Assess
    expect(result.trials).toEqual([
      {
        trainingJobName: 'doctrain-r1-001-00000001',
        status: 'Completed',
        objectiveValue: 0.5,
        hyperparameters: { learning_rate: '0.001' },
        billableSeconds: 40,
      },
      {
        trainingJobName: 'doctrain-r1-002-00000002',
        status: 'Completed',
        objectiveValue: 0.7,
        hyperparameters: { learning_rate: '0.002' },
        billableSeconds: 40,
      },
    ]);
    expect(result.otherJobs.map((job) => job.jobName)).toEqual(['doctrain-r1-001-00000001']);
    expect(sagemaker.commandCalls(ListTrainingJobsForHyperParameterTuningJobCommand)[1]?.args[0].input.NextToken).toBe('next');
  });
});
