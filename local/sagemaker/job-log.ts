/**
 * A local training job's log as another process reads it: the local SageMaker keeps each job in
 * `<workDir>/<jobName>/` (workDir is `<dataDir>/sagemaker` of a local stage), the trainer's stdout and
 * stderr appended line by line to `logs.txt` as they arrive, and the job's status in `status.json`
 * (rewritten on every status change; the terminal one only after the last line is in the log). The
 * `TrainingLogSource` of `doctrain logs` on a local stage.
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TrainingLogSource } from '../../src/logs/training-log';
import { trainingJobName } from '../../src/steps/validate-input/step';

export const JOB_LOG_FILE = 'logs.txt';
export const JOB_STATUS_FILE = 'status.json';

export const jobStatusFileSchema = z.strictObject({
  jobName: z.string().min(1),
  status: z.enum(['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped']),
  secondaryStatus: z.string().min(1),
  /** The local SageMaker shut down while the job ran: it never ends now. */
  serverClosed: z.boolean(),
  updatedAt: z.string().min(1),
});
export type JobStatusFile = z.infer<typeof jobStatusFileSchema>;

/** More attempts than any instance plan has (src/contracts/instance-plan.ts). */
const MAX_ATTEMPTS = 20;

const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

export class LocalTrainingLogs implements TrainingLogSource<number> {
  /** `workDir`: the local SageMaker's (`<dataDir>/sagemaker`). */
  public constructor(private readonly workDir: string) {}

  public async jobNames(runId: string): Promise<string[]> {
    const names: string[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const name = trainingJobName(runId, attempt);
      if (!(await exists(path.join(this.workDir, name, JOB_LOG_FILE)))) break;
      names.push(name);
    }
    return names;
  }

  /** The job's status.json, or undefined before the job has written one. */
  public async status(jobName: string): Promise<JobStatusFile | undefined> {
    const text = await readFile(path.join(this.workDir, jobName, JOB_STATUS_FILE), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : jobStatusFileSchema.parse(JSON.parse(text));
  }

  public async ended(jobName: string): Promise<boolean> {
    const status = await this.status(jobName);
    return status !== undefined && (status.serverClosed || !['InProgress', 'Stopping'].includes(status.status));
  }

  /** Whole lines after byte `offset`; a line still being written waits for the next read. */
  public async read(jobName: string, offset: number | undefined): Promise<{ lines: string[]; cursor: number | undefined }> {
    const start = offset ?? 0;
    const handle = await open(path.join(this.workDir, jobName, JOB_LOG_FILE), 'r');
    try {
      const { size } = await handle.stat();
      if (size <= start) return { lines: [], cursor: start };
      const buffer = Buffer.alloc(size - start);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (end < 0) return { lines: [], cursor: start };
      const lines = buffer.subarray(0, end).toString('utf8').split('\n');
      return { lines, cursor: start + end + 1 };
    } finally {
      await handle.close();
    }
  }
}
