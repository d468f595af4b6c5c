import { describe, expect, it } from 'vitest';
import type { DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { checkpointWarning, continuationName } from '../../../src/pipeline/poll-training';
import { runIdOfExecution } from '../../../src/pipeline/stop-ended-run';

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
    expect(runIdOfExecution({ executionName: 'x-c1', status: 'ABORTED', input: JSON.stringify({ continuation: { config: { runId: 'r1' } } }) })).toBe('r1');
    expect(runIdOfExecution({ executionName: 'x', status: 'ABORTED', input: JSON.stringify({ runId: 'r2' }) })).toBe('r2');
    expect(runIdOfExecution({ executionName: 'Nightly_Run', status: 'TIMED_OUT', input: '{}' })).toBe('nightly-run');
    expect(runIdOfExecution({ executionName: 'n', status: 'ABORTED', input: 'not json' })).toBe('n');
  });
});
