import { afterEach, describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand, SageMakerClient, type DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_PRICE_TABLE } from '../../../../src/contracts/prices';
import { checkpointWarning, continuationName, pollTraining, transitionProgressKey } from '../../../../src/steps/poll-training/step';
import type { RunStore, StatusChange } from '../../../../src/status/run-store';
import { runIdOfExecution } from '../../../../src/steps/stop-ended-run/step';

const now = new Date('2026-03-14T12:00:00Z');
const minutesAgo = (m: number): Date => new Date(now.getTime() - m * 60_000);
const training = (since: Date): DescribeTrainingJobResponse =>
  ({
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Training',
    SecondaryStatusTransitions: [
      { Status: 'Starting', StartTime: minutesAgo(200) },
      { Status: 'Training', StartTime: since },
    ],
  }) as DescribeTrainingJobResponse;
const settings = { checkpointIntervalSeconds: 600, checkpointStaleFactor: 3 };

describe('checkpointWarning (the watchdog rule)', () => {
  it('is quiet while the newest checkpoint is younger than factor x interval', () => {
    expect(checkpointWarning(training(minutesAgo(120)), minutesAgo(29), settings, now)).toBeUndefined();
  });

  it('warns when the newest checkpoint is older than factor x interval', () => {
    const warning = checkpointWarning(training(minutesAgo(120)), minutesAgo(31), settings, now);
    expect(warning).toMatchObject({ ageSeconds: 31 * 60, thresholdSeconds: 1800, newestCheckpointAt: minutesAgo(31).toISOString() });
  });

  it('warns when no checkpoint exists long after training started, and not before', () => {
    expect(checkpointWarning(training(minutesAgo(45)), undefined, settings, now)?.newestCheckpointAt).toBeNull();
    expect(checkpointWarning(training(minutesAgo(10)), undefined, settings, now)).toBeUndefined();
  });

  it('after a spot restart, measures from the new Training period, not from a restored older checkpoint', () => {
    expect(checkpointWarning(training(minutesAgo(5)), minutesAgo(90), settings, now)).toBeUndefined();
  });

  it('says nothing outside Training (downloading, uploading, ended)', () => {
    const job = { ...training(minutesAgo(300)), SecondaryStatus: 'Uploading' } as DescribeTrainingJobResponse;
    expect(checkpointWarning(job, undefined, settings, now)).toBeUndefined();
  });
});

describe('continuationName', () => {
  it('is the first execution name with -c<n>, within the 80 characters of an execution name', () => {
    expect(continuationName(['nightly'])).toBe('nightly-c1');
    expect(continuationName(['nightly', 'nightly-c1'])).toBe('nightly-c2');
    const long = 'x'.repeat(80);
    expect(continuationName([long])).toHaveLength(80);
    expect(continuationName([long]).endsWith('-c1')).toBe(true);
  });
});

describe('runIdOfExecution', () => {
  it("reads a continuation's run id, an input's runId, else derives it from the execution name", () => {
    expect(
      runIdOfExecution({ executionName: 'x-c1', status: 'ABORTED', input: JSON.stringify({ continuation: { config: { runId: 'r1' } } }) }),
    ).toBe('r1');
    expect(runIdOfExecution({ executionName: 'x', status: 'ABORTED', input: JSON.stringify({ runId: 'r2' }) })).toBe('r2');
    expect(runIdOfExecution({ executionName: 'Nightly_Run', status: 'TIMED_OUT', input: '{}' })).toBe('nightly-run');
    expect(runIdOfExecution({ executionName: 'n', status: 'ABORTED', input: 'not json' })).toBe('n');
  });
});

describe('pollTraining: the budget', () => {
  const sagemaker = mockClient(SageMakerClient);
  afterEach(() => sagemaker.reset());
  const started = new Date(now.getTime() - 3600_000);
  const describeJob = (overrides: Partial<DescribeTrainingJobResponse> = {}): DescribeTrainingJobResponse =>
    ({
      TrainingJobName: 'doctrain-r1-a1',
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Training',
      CreationTime: started,
      TrainingStartTime: started,
      ResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      EnableManagedSpotTraining: false,
      ...overrides,
    }) as DescribeTrainingJobResponse;
  /** A run store holding one record; every write is kept. */
  const storeWith = (run: Record<string, unknown>) => {
    const changes: StatusChange[] = [];
    const store = {
      writeStatusChange: (change: StatusChange) => Promise.resolve(void changes.push(change)),
      getRun: () => Promise.resolve(run),
    } as unknown as RunStore;
    return { changes, store };
  };
  const poll = (store: RunStore, budgetUsd: number | null) =>
    pollTraining(
      {
        sagemaker: new SageMakerClient({ region: 'us-east-1' }),
        s3: new S3Client({ region: 'us-east-1' }),
        store,
        now: () => now,
        settings: {
          pollSeconds: 60,
          maxPollSeconds: 600,
          loopHistoryBudget: 15_000,
          checkpointIntervalSeconds: 900,
          checkpointStaleFactor: 3,
        },
      },
      {
        runId: 'r1',
        executionName: 'r1',
        trainingJobName: 'doctrain-r1-a1',
        pollSeconds: 60,
        polling: { pollCount: 4, executions: ['r1'] },
        budgetUsd,
        textractPagesBilled: 100,
        prices: DEFAULT_PRICE_TABLE,
      },
    );

  it('stops a running job whose projection passes the budget, recording the decision once', async () => {
    // Prepare: 1 h on-demand ml.g5.xlarge ($1.408) + 100 pages ($0.15); the next wait is 600 s ($0.2347 more).
    sagemaker.on(DescribeTrainingJobCommand).resolves(describeJob());
    const under = storeWith({ runId: 'r1', status: 'TRAINING' });
    const over = storeWith({ runId: 'r1', status: 'TRAINING' });
    // Act
    const within = await poll(under.store, 1.8);
    const past = await poll(over.store, 1.7);
    // Assess
    expect(within).toMatchObject({ budgetExceeded: false, stopRequested: false, waitSeconds: 600 });
    expect(under.changes[0]?.attributes?.['budgetStop']).toBeUndefined();
    expect(past).toMatchObject({ budgetExceeded: true, waitSeconds: 60 });
    expect(over.changes[0]?.attributes?.['budgetStop']).toMatchObject({
      budgetUsd: 1.7,
      spentUsd: expect.closeTo(1.558, 2) as number,
      projectedUsd: expect.closeTo(1.793, 2) as number,
    });
    expect(over.changes[0]?.progressKey).toMatch(/-budget-exceeded$/);
    expect(over.changes[0]?.attributes?.['cost']).toMatchObject({
      stage: 'poll',
      budgetUsd: 1.7,
      budgetExceeded: true,
      textract: { pages: 100 },
    });
  });

  it('keeps a recorded decision while the job stops, though the projection falls back under the budget', async () => {
    // Prepare: the job is Stopping; the record holds the decision; a large budget the ledger alone would not pass.
    sagemaker.on(DescribeTrainingJobCommand).resolves(describeJob({ TrainingJobStatus: 'Stopping', SecondaryStatus: 'Stopping' }));
    const { changes, store } = storeWith({
      runId: 'r1',
      status: 'TRAINING',
      budgetStop: { at: now.toISOString(), projectedUsd: 1.8, spentUsd: 1.5, budgetUsd: 1.7 },
    });
    // Act
    const result = await poll(store, 100);
    // Assess: polled at the short pace, no second decision written, nothing stopped again (the job is not InProgress).
    expect(result).toMatchObject({ budgetExceeded: false, waitSeconds: 60 });
    expect(changes[0]?.attributes?.['budgetStop']).toBeUndefined();
    expect(changes[0]?.progressKey).not.toMatch(/budget/);
  });

  it('never stops without a budget, and not a job that has ended', async () => {
    // Prepare
    sagemaker
      .on(DescribeTrainingJobCommand)
      .resolvesOnce(describeJob())
      .resolves(
        describeJob({
          TrainingJobStatus: 'Completed',
          SecondaryStatus: 'Completed',
          TrainingTimeInSeconds: 3600,
          BillableTimeInSeconds: 3600,
        }),
      );
    // Act
    const none = await poll(storeWith({ runId: 'r1', status: 'TRAINING' }).store, null);
    const ended = storeWith({ runId: 'r1', status: 'TRAINING' });
    const done = await poll(ended.store, 0.01);
    // Assess
    expect(none.budgetExceeded).toBe(false);
    expect(done.budgetExceeded).toBe(false);
    expect(ended.changes[0]?.attributes?.['budgetStop']).toBeUndefined();
    expect(ended.changes[0]?.attributes?.['cost']).toMatchObject({ training: [{ billable: 'reported', billableSeconds: 3600 }] });
  });
});

describe('transitionProgressKey', () => {
  it('keys a poll by its secondary-status transition, so repeated polls of one transition make one event', () => {
    // Prepare
    const job: Partial<DescribeTrainingJobResponse> = {
      SecondaryStatus: 'Training',
      SecondaryStatusTransitions: [
        { Status: 'Starting', StartTime: now, StatusMessage: 'Preparing the instances for training' },
        { Status: 'Downloading', StartTime: now, StatusMessage: 'Downloading input data' },
        { Status: 'Training', StartTime: now, StatusMessage: 'Training image download completed. Training in progress.' },
      ],
    };
    // Act
    const first = transitionProgressKey(job);
    const again = transitionProgressKey({ ...job });
    // Assess
    expect(first).toBe('003-Training');
    expect(again).toBe(first);
  });

  it('keys a poll with no transitions and no secondary status', () => {
    expect(transitionProgressKey({})).toBe('000-Unknown');
  });

  it('orders progress keys lexically in the order of the transitions', () => {
    // Prepare
    const keys = Array.from({ length: 12 }, (_, i) =>
      transitionProgressKey({
        SecondaryStatus: 'Training',
        SecondaryStatusTransitions: Array.from({ length: i + 1 }, () => ({ Status: 'Training', StartTime: now })),
      }),
    );
    // Assess
    expect([...keys].sort()).toEqual(keys);
  });
});
