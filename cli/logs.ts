/**
 * `doctrain logs <runId> [--follow]`: the run's training job log(s), the trainer's own lines (`[metric]`
 * lines included) on stdout, a `==> <job> <==` header per job on stderr. On AWS from CloudWatch Logs
 * (src/logs/cloudwatch.ts); on a local stage (`--stage`, `--data-dir`) from the local SageMaker's job
 * folders (local/sagemaker/job-log.ts), readable while `doctrain run` or `local up` holds the stage.
 * `--follow` tails each job until it ends and waits for a later attempt until the run has ended.
 */
import path from 'node:path';
import { createSageMakerClient } from '../src/aws/clients';
import { createCloudWatchLogsClient } from '../src/aws/cloudwatch-logs-client';
import { createDynamoDocumentClient } from '../src/aws/dynamodb-client';
import { NOTIFICATION_SOURCE, notificationDetailSchema } from '../src/contracts/notification';
import { isTerminal } from '../src/contracts/run-status';
import { CloudWatchTrainingLogs } from '../src/logs/cloudwatch';
import { followTrainingLogs, type TrainingLogSource } from '../src/logs/training-log';
import { RunStore } from '../src/status/run-store';
import { LocalTrainingLogs } from '../local/sagemaker/job-log';
import { readCapturedEvents } from '../local/eventbridge/captured-events';
import { stageDir } from './target';

export interface LogsOptions {
  root: string;
  runId: string;
  follow: boolean;
  /** A local stage of `doctrain run` (.doctrain/stages/<name>/), or undefined: AWS (CloudWatch Logs). */
  stage?: string | undefined;
  /** The local stage's data somewhere else (as `doctrain run --data-dir`, `local up --data-dir`). */
  dataDir?: string | undefined;
  /** AWS: the runs table (default $DOCTRAIN_TABLE), for --follow to know when the run has ended. */
  table?: string | undefined;
  /** Between reads while following; default 250 ms locally, 2 s on AWS. */
  pollMs?: number | undefined;
}

/** A local stage's run has ended once its end notification is on the stage's EventBridge (NotifyRun, StopEndedRun). */
const localRunEnded = (dataDir: string, runId: string) => async (): Promise<boolean> =>
  (await readCapturedEvents(dataDir)).some((event) => {
    if (event.source !== NOTIFICATION_SOURCE) return false;
    const detail = notificationDetailSchema.safeParse(event.detail);
    return detail.success && detail.data.runId === runId && isTerminal(detail.data.status);
  });

const print = async <Cursor>(
  source: TrainingLogSource<Cursor>,
  options: LogsOptions,
  pollMs: number,
  runEnded: () => Promise<boolean>,
): Promise<number> => {
  const jobs = await followTrainingLogs(source, {
    runId: options.runId,
    follow: options.follow,
    pollMs: options.pollMs ?? pollMs,
    runEnded,
    onJob: (jobName) => console.error(`==> ${jobName} <==`),
    onLine: (_jobName, line) => console.log(line),
  });
  if (jobs > 0) return 0;
  console.error(
    `doctrain: run ${options.runId} has no training job${options.follow ? '' : ' (yet: --follow waits for it)'}; a run that skipped training or failed before it has none`,
  );
  return 1;
};

export const logsCommand = async (options: LogsOptions): Promise<number> => {
  // `doctrain logs ID | head`: the reader has gone, so has the point of going on.
  process.stdout.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  if (options.stage !== undefined || options.dataDir !== undefined) {
    const dataDir = path.resolve(options.dataDir ?? stageDir(options.root, options.stage ?? 'local'));
    return print(new LocalTrainingLogs(path.join(dataDir, 'sagemaker')), options, 250, localRunEnded(dataDir, options.runId));
  }
  const logs = createCloudWatchLogsClient();
  const sagemaker = createSageMakerClient();
  const tableName = options.table ?? process.env['DOCTRAIN_TABLE'];
  const store = tableName === undefined || tableName === '' ? undefined : new RunStore(createDynamoDocumentClient(), tableName);
  const runEnded = async (): Promise<boolean> => {
    if (store === undefined) return true;
    const record = await store.getRun(options.runId);
    return record === undefined || isTerminal(record.status);
  };
  try {
    return await print(new CloudWatchTrainingLogs({ logs, sagemaker }), options, 2000, runEnded);
  } finally {
    logs.destroy();
    sagemaker.destroy();
  }
};
