/**
 * The local SageMaker's training jobs on disk: each job's DescribeTrainingJob record, rewritten on every
 * status change, in `<workDir>/training-jobs.json` (a name no job folder can have: job names hold no
 * `.`), so that a restarted local stage still describes and lists the jobs of earlier runs, as SageMaker
 * keeps them. A job that was InProgress or Stopping when its process died comes back Failed, with the
 * FailureReason below and a Failed status transition: the local SageMaker does not resume a job.
 */
import path from 'node:path';
import { z } from 'zod';
import { JsonFileWriter, readJsonFile } from '../json-file';
import type { JsonObject } from '../http/json-protocol-server';
import { TRAINING_JOB_STATUSES } from './validate';

export const TRAINING_JOBS_FILE = 'training-jobs.json';

/** DescribeTrainingJob's record: the members a listing reads typed, the others kept as they were. */
const describedJobSchema = z.looseObject({
  TrainingJobName: z.string().min(1),
  TrainingJobArn: z.string().min(1),
  TrainingJobStatus: z.enum(TRAINING_JOB_STATUSES),
  SecondaryStatus: z.string().min(1),
  CreationTime: z.number(),
  LastModifiedTime: z.number(),
  TrainingStartTime: z.number().optional(),
  TrainingEndTime: z.number().optional(),
  FailureReason: z.string().optional(),
  SecondaryStatusTransitions: z
    .array(z.looseObject({ Status: z.string(), StartTime: z.number(), EndTime: z.number().optional() }))
    .default([]),
});
export type DescribedJob = z.infer<typeof describedJobSchema>;

const jobsFileSchema = z.strictObject({ jobs: z.record(z.string(), describedJobSchema) });

export const orphanedFailureReason = (secondaryStatus: string): string =>
  `InternalServerError: the local SageMaker stopped while this job was InProgress (${secondaryStatus}); a local training job is not resumed, start the run again`;

/** A job its process left InProgress, as the restarted local SageMaker describes it. */
export const orphanedJob = (job: DescribedJob, now: Date): DescribedJob => {
  const at = now.getTime() / 1000;
  const reason = orphanedFailureReason(job.SecondaryStatus);
  const transitions = job.SecondaryStatusTransitions.map((t, i, all) =>
    i === all.length - 1 && t.EndTime === undefined ? { ...t, EndTime: at } : t,
  );
  return {
    ...job,
    TrainingJobStatus: 'Failed',
    SecondaryStatus: 'Failed',
    FailureReason: reason,
    LastModifiedTime: at,
    ...(job.TrainingStartTime === undefined ? {} : { TrainingEndTime: job.TrainingEndTime ?? at }),
    SecondaryStatusTransitions: [
      ...transitions,
      { Status: 'Failed', StartTime: at, EndTime: at, StatusMessage: `Training job failed. ${reason}` },
    ],
  };
};

export class TrainingJobStore {
  private readonly writer = new JsonFileWriter();

  private constructor(
    private readonly file: string,
    private readonly jobs: Map<string, DescribedJob>,
  ) {}

  public static async open(workDir: string): Promise<TrainingJobStore> {
    const file = path.join(workDir, TRAINING_JOBS_FILE);
    const stored = (await readJsonFile(file, jobsFileSchema)) ?? { jobs: {} };
    const now = new Date();
    const leftRunning = (job: DescribedJob): boolean => job.TrainingJobStatus === 'InProgress' || job.TrainingJobStatus === 'Stopping';
    const jobs = new Map(Object.entries(stored.jobs).map(([name, job]) => [name, leftRunning(job) ? orphanedJob(job, now) : job]));
    const store = new TrainingJobStore(file, jobs);
    if (Object.values(stored.jobs).some(leftRunning)) await store.flush();
    return store;
  }

  public get(name: string): DescribedJob | undefined {
    return this.jobs.get(name);
  }

  public list(): DescribedJob[] {
    return [...this.jobs.values()];
  }

  /** Keeps `described` (a DescribeTrainingJob answer) as the job's record; resolves once it is on disk. */
  public put(described: JsonObject): Promise<void> {
    const job = describedJobSchema.parse(described);
    this.jobs.set(job.TrainingJobName, job);
    return this.flush();
  }

  public flushed(): Promise<void> {
    return this.writer.flushed();
  }

  private flush(): Promise<void> {
    return this.writer.write(this.file, { jobs: Object.fromEntries(this.jobs) });
  }
}
