/**
 * A training job's log, read and followed the same way wherever it is kept: CloudWatch Logs on AWS
 * (./cloudwatch.ts), the job folder of the local SageMaker locally (local/sagemaker/job-log.ts). A source
 * names the run's jobs (one per training attempt), reads a job's lines after a cursor, and says whether a
 * job has ended; `followTrainingLogs` prints them in attempt order and, following, tails each job until it
 * ends (a later attempt, the capacity fallback's, is picked up when it appears).
 */

export interface TrainingLogSource<Cursor> {
  /** The run's training jobs, first attempt first (none yet: an empty list). */
  jobNames(runId: string): Promise<string[]>;
  /** The job's lines after `cursor` (undefined: from its first line) and the cursor to read on from. */
  read(jobName: string, cursor: Cursor | undefined): Promise<{ lines: string[]; cursor: Cursor | undefined }>;
  /** True once the job has ended: no line comes after what `read` returns next. */
  ended(jobName: string): Promise<boolean>;
}

export interface FollowOptions {
  runId: string;
  /** Tail each job until it ends (and wait for the run's first job); false: print what is there and return. */
  follow: boolean;
  onLine(jobName: string, line: string): void;
  /** Told when a job's lines begin (a header for it, when a run has several). */
  onJob?(jobName: string): void;
  /** Between reads of a followed job. */
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Following: true once nothing more can come (the run has ended); checked while the run has no job yet and after its last job ended. */
  runEnded?: () => Promise<boolean>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Prints the run's training log(s); returns how many jobs it printed (0: the run has no training job,
 * which a caller reports). Following, it returns once the last job ended and `runEnded` (default: at once)
 * says no further attempt can start.
 */
export const followTrainingLogs = async <Cursor>(source: TrainingLogSource<Cursor>, options: FollowOptions): Promise<number> => {
  const sleep = options.sleep ?? defaultSleep;
  const runEnded = options.runEnded ?? (() => Promise.resolve(true));
  const done = new Set<string>();
  for (;;) {
    const pending = (await source.jobNames(options.runId)).filter((name) => !done.has(name));
    if (pending.length === 0) {
      if (!options.follow || (await runEnded())) return done.size;
      await sleep(options.pollMs);
      continue;
    }
    for (const jobName of pending) {
      options.onJob?.(jobName);
      let cursor: Cursor | undefined;
      for (;;) {
        // Whether it had ended is asked before the read: the read after "ended" has every last line.
        const ended = !options.follow || (await source.ended(jobName));
        const chunk = await source.read(jobName, cursor);
        cursor = chunk.cursor;
        for (const line of chunk.lines) options.onLine(jobName, line);
        if (ended) break;
        await sleep(options.pollMs);
      }
      done.add(jobName);
    }
  }
};

/** New lines of a job on each call (the source's cursor kept per job): for a watcher that polls. */
export const logTail = <Cursor>(source: TrainingLogSource<Cursor>): ((jobName: string) => Promise<string[]>) => {
  const cursors = new Map<string, Cursor | undefined>();
  return async (jobName) => {
    const chunk = await source.read(jobName, cursors.get(jobName));
    cursors.set(jobName, chunk.cursor);
    return chunk.lines;
  };
};
