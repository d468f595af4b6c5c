/**
 * `doctrain status <runId> --watch`: the run followed from its record (cli/progress/watch-run.ts) on the
 * progress display (a status line rewritten in place on a TTY, plain lines elsewhere), wherever `status`
 * looks (cli/target.ts): a local stage (`--stage`/`--data-dir`: through the process that holds it, e.g.
 * the `doctrain run` in progress, the trainer's `[metric]` lines from its job folders), or AWS (a deployed
 * `--stage`, `--table`, or the environment, `local up`'s local.env included: the `[metric]` lines from
 * the job's CloudWatch Logs as they land; not on the local AWS: said once).
 */
import path from 'node:path';
import { createS3Client, createSageMakerClient } from '../src/aws/clients';
import { createCloudWatchLogsClient } from '../src/aws/cloudwatch-logs-client';
import { CloudWatchTrainingLogs } from '../src/logs/cloudwatch';
import { logTail } from '../src/logs/training-log';
import { RunStore } from '../src/status/run-store';
import { LocalTrainingLogs } from '../local/sagemaker/job-log';
import { displayFor } from './progress/display';
import { RunProgressView } from './progress/run-view';
import { watchRun } from './progress/watch-run';
import { withStage } from './stage';
import { withRunsTable, type Target } from './target';

const OWNER = 'doctrain status --watch';

export const watchStatus = async (
  root: string,
  target: Target,
  runId: string,
  options: { bucket?: string | undefined; pollMs?: number | undefined },
): Promise<number> => {
  const pollMs = options.pollMs ?? 5000;
  const view = (): RunProgressView => new RunProgressView(displayFor(), Date.now());
  if (target.kind === 'local') {
    return withStage(root, target, OWNER, ({ clients, settings }) => {
      const stage = settings();
      return watchRun({
        store: new RunStore(clients.dynamo, target.table ?? stage.DOCTRAIN_TABLE),
        runId,
        view: view(),
        ocr: { s3: clients.s3, bucket: options.bucket ?? stage.DOCTRAIN_BUCKET },
        pollMs,
        trainerLines: logTail(new LocalTrainingLogs(path.join(target.dataDir, 'sagemaker'))),
      });
    });
  }
  return withRunsTable(root, target, OWNER, async ({ store }) => {
    const bucket = options.bucket ?? process.env['DOCTRAIN_BUCKET'];
    const s3 = bucket === undefined || bucket === '' ? undefined : createS3Client(target.aws);
    const logs = createCloudWatchLogsClient(target.aws);
    const sagemaker = createSageMakerClient(target.aws);
    try {
      return await watchRun({
        store,
        runId,
        view: view(),
        ocr: s3 === undefined || bucket === undefined ? undefined : { s3, bucket },
        pollMs,
        trainerLines: logTail(new CloudWatchTrainingLogs({ logs, sagemaker })),
      });
    } finally {
      s3?.destroy();
      logs.destroy();
      sagemaker.destroy();
    }
  });
};
