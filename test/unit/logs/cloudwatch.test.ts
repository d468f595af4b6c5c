/**
 * `doctrain logs` on AWS: the training job's CloudWatch Logs streams read with the SDK's paginators
 * (every page of DescribeLogStreams and FilterLogEvents), the run's attempts found by DescribeTrainingJob,
 * and --follow tailing until the job has ended without printing an event twice.
 */
import { CloudWatchLogsClient, DescribeLogStreamsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchTrainingLogs, TRAINING_JOBS_LOG_GROUP } from '../../../src/logs/cloudwatch';
import { followTrainingLogs } from '../../../src/logs/training-log';

const logsMock = mockClient(CloudWatchLogsClient);
const sagemakerMock = mockClient(SageMakerClient);
const RUN = 'run-20261206195250123';
const JOB = `doctrain-${RUN}-a1`;

const notFound = Object.assign(new Error('Requested resource not found.'), { name: 'ValidationException' });

const source = () =>
  new CloudWatchTrainingLogs({
    logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
    sagemaker: new SageMakerClient({ region: 'us-east-1' }),
  });

const event = (timestamp: number, id: string, message: string, stream = `${JOB}/algo-1-1765000000`) => ({
  timestamp,
  eventId: id,
  message,
  logStreamName: stream,
});

beforeEach(() => {
  logsMock.reset();
  sagemakerMock.reset();
});

describe('CloudWatch training logs', () => {
  it("reads every page of the job's streams and events, in time order, [metric] lines as printed", async () => {
    // Prepare: two streams (a spot restart writes a second one) over two pages, events over two pages
    logsMock
      .on(DescribeLogStreamsCommand, { logGroupName: TRAINING_JOBS_LOG_GROUP, logStreamNamePrefix: `${JOB}/` })
      .resolvesOnce({ logStreams: [{ logStreamName: `${JOB}/algo-1-1765000000` }], nextToken: 'streams-2' })
      .resolvesOnce({ logStreams: [{ logStreamName: `${JOB}/algo-1-1765000900` }] });
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [event(1000, 'e1', '[doctrain] backend=compact\n'), event(3000, 'e3', '[metric] epoch=2 val_f1=0.5')],
        nextToken: 'events-2',
      })
      .resolvesOnce({ events: [event(2000, 'e2', '[metric] epoch=1 val_f1=0.4', `${JOB}/algo-1-1765000900`)] });

    // Act
    const chunk = await source().read(JOB, undefined);

    // Assess: both pages of each paginator, both streams asked for, lines by time, newline trimmed
    expect(chunk.lines).toEqual(['[doctrain] backend=compact', '[metric] epoch=1 val_f1=0.4', '[metric] epoch=2 val_f1=0.5']);
    expect(logsMock.commandCalls(DescribeLogStreamsCommand)).toHaveLength(2);
    const filters = logsMock.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(filters).toHaveLength(2);
    expect(filters[0]?.logStreamNames).toEqual([`${JOB}/algo-1-1765000000`, `${JOB}/algo-1-1765000900`]);
    expect(filters[1]?.nextToken).toBe('events-2');
    expect(chunk.cursor).toEqual({ startTime: 3000, seenAtStart: ['e3'] });
  });

  it("finds the run's attempts by DescribeTrainingJob, up to the first SageMaker does not know", async () => {
    sagemakerMock.on(DescribeTrainingJobCommand, { TrainingJobName: JOB }).resolves({ TrainingJobStatus: 'Failed' });
    sagemakerMock.on(DescribeTrainingJobCommand, { TrainingJobName: `doctrain-${RUN}-a2` }).resolves({ TrainingJobStatus: 'InProgress' });
    sagemakerMock.on(DescribeTrainingJobCommand, { TrainingJobName: `doctrain-${RUN}-a3` }).rejects(notFound);

    const logs = source();
    expect(await logs.jobNames(RUN)).toEqual([JOB, `doctrain-${RUN}-a2`]);
    expect(await logs.ended(JOB)).toBe(true);
    expect(await logs.ended(`doctrain-${RUN}-a2`)).toBe(false);
  });

  it('--follow tails the job until it has ended, each event once, then reads what came last', async () => {
    // Prepare: the job is InProgress for two looks, then Completed; each read returns what is new from startTime on
    sagemakerMock
      .on(DescribeTrainingJobCommand, { TrainingJobName: JOB })
      .resolvesOnce({ TrainingJobStatus: 'InProgress' }) // jobNames
      .resolvesOnce({ TrainingJobStatus: 'InProgress' })
      .resolvesOnce({ TrainingJobStatus: 'InProgress' })
      .resolves({ TrainingJobStatus: 'Completed' });
    sagemakerMock.on(DescribeTrainingJobCommand, { TrainingJobName: `doctrain-${RUN}-a2` }).rejects(notFound);
    logsMock.on(DescribeLogStreamsCommand).resolves({ logStreams: [{ logStreamName: `${JOB}/algo-1-1765000000` }] });
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event(1000, 'e1', '[metric] epoch=1 val_f1=0.4')] })
      // From startTime 1000 again: e1 comes back and must not be printed twice; e2 shares its millisecond.
      .resolvesOnce({ events: [event(1000, 'e1', '[metric] epoch=1 val_f1=0.4'), event(1000, 'e2', '[metric] epoch=2 val_f1=0.5')] })
      .resolves({ events: [event(1000, 'e2', '[metric] epoch=2 val_f1=0.5'), event(5000, 'e3', '[metric] epoch=3 val_f1=0.6')] });
    const printed: string[] = [];
    const sleeps: number[] = [];

    // Act
    const jobs = await followTrainingLogs(source(), {
      runId: RUN,
      follow: true,
      pollMs: 2000,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      onLine: (_job, line) => printed.push(line),
    });

    // Assess
    expect(jobs).toBe(1);
    expect(printed).toEqual(['[metric] epoch=1 val_f1=0.4', '[metric] epoch=2 val_f1=0.5', '[metric] epoch=3 val_f1=0.6']);
    expect(sleeps).toEqual([2000, 2000]);
    const startTimes = logsMock.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input.startTime);
    expect(startTimes).toEqual([undefined, 1000, 1000]);
  });

  it('a job that has written no stream yet reads as no lines', async () => {
    logsMock.on(DescribeLogStreamsCommand).resolves({ logStreams: [] });
    expect(await source().read(JOB, undefined)).toEqual({ lines: [], cursor: undefined });
    expect(logsMock.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  });
});
