/**
 * A training job's log on AWS: SageMaker writes the container's stdout and stderr to CloudWatch Logs, log
 * group `/aws/sagemaker/TrainingJobs`, one stream per instance (and per restart of a spot job) named
 * `<jobName>/algo-<n>-<epoch seconds>`. Read with the SDK's paginators (DescribeLogStreams by the job's
 * prefix, FilterLogEvents over its streams); the run's jobs and whether one has ended come from
 * DescribeTrainingJob.
 */
import { paginateDescribeLogStreams, paginateFilterLogEvents, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTrainingJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { trainingJobName } from '../steps/validate-input/step';
import type { TrainingLogSource } from './training-log';

export const TRAINING_JOBS_LOG_GROUP = '/aws/sagemaker/TrainingJobs';
/** FilterLogEvents takes at most 100 stream names. */
const MAX_STREAMS_PER_FILTER = 100;
/** More attempts than any instance plan has (src/contracts/instance-plan.ts). */
const MAX_ATTEMPTS = 20;
const ENDED_STATUSES = new Set(['Completed', 'Failed', 'Stopped']);

/** Where to read on from: events at `startTime` or later, less those already returned at exactly that time. */
export interface CloudWatchCursor {
  startTime: number;
  seenAtStart: string[];
}

/** DescribeTrainingJob of a job that does not exist: SageMaker answers ValidationException "Requested resource not found". */
const isNotFound = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'ResourceNotFound' || (error.name === 'ValidationException' && /not found/i.test(error.message)));

export class CloudWatchTrainingLogs implements TrainingLogSource<CloudWatchCursor> {
  public constructor(private readonly clients: { logs: CloudWatchLogsClient; sagemaker: SageMakerClient }) {}

  private async status(jobName: string): Promise<string | undefined> {
    try {
      const job = await this.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
      return job.TrainingJobStatus;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The run's jobs are its attempts' (`doctrain-<runId>-a<n>`, validate-input): each that SageMaker knows, up to the first it does not. */
  public async jobNames(runId: string): Promise<string[]> {
    const names: string[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const name = trainingJobName(runId, attempt);
      if ((await this.status(name)) === undefined) break;
      names.push(name);
    }
    return names;
  }

  public async ended(jobName: string): Promise<boolean> {
    const status = await this.status(jobName);
    return status === undefined || ENDED_STATUSES.has(status);
  }

  public async read(
    jobName: string,
    cursor: CloudWatchCursor | undefined,
  ): Promise<{ lines: string[]; cursor: CloudWatchCursor | undefined }> {
    const streams: string[] = [];
    for await (const page of paginateDescribeLogStreams(
      { client: this.clients.logs },
      { logGroupName: TRAINING_JOBS_LOG_GROUP, logStreamNamePrefix: `${jobName}/` },
    )) {
      for (const stream of page.logStreams ?? []) if (stream.logStreamName !== undefined) streams.push(stream.logStreamName);
    }
    if (streams.length === 0) return { lines: [], cursor };
    const seen = new Set(cursor?.seenAtStart ?? []);
    const events: { timestamp: number; id: string; message: string }[] = [];
    for (let i = 0; i < streams.length; i += MAX_STREAMS_PER_FILTER) {
      for await (const page of paginateFilterLogEvents(
        { client: this.clients.logs },
        {
          logGroupName: TRAINING_JOBS_LOG_GROUP,
          logStreamNames: streams.slice(i, i + MAX_STREAMS_PER_FILTER),
          ...(cursor === undefined ? {} : { startTime: cursor.startTime }),
        },
      )) {
        for (const event of page.events ?? []) {
          const id = event.eventId ?? `${event.logStreamName ?? ''}:${event.timestamp ?? 0}:${event.message ?? ''}`;
          if (seen.has(id)) continue;
          events.push({ timestamp: event.timestamp ?? 0, id, message: event.message ?? '' });
        }
      }
    }
    if (events.length === 0) return { lines: [], cursor };
    events.sort((a, b) => a.timestamp - b.timestamp); // stable: a stream's own order is kept within a millisecond
    const last = events.at(-1)?.timestamp ?? 0;
    const atLast = events.filter((event) => event.timestamp === last).map((event) => event.id);
    const carried = cursor !== undefined && cursor.startTime === last ? cursor.seenAtStart : [];
    return {
      lines: events.map((event) => event.message.replace(/\r?\n$/, '')),
      cursor: { startTime: last, seenAtStart: [...carried, ...atLast] },
    };
  }
}
