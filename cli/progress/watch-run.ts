/**
 * `doctrain status <runId> --watch`: a run followed from its record, wherever the run store is (AWS, or the
 * local AWS of `doctrain local up` through its endpoints): each new status event as a line, the OCR count
 * while it prepares (from the batch results in S3, when the bucket is known), the training job as polled
 * (the record's `progress`: the poll loop's one status, a line when its metrics change), until the run
 * has ended. Exit 0 for COMPLETED or SKIPPED, 1 for any other end.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { isTerminal } from '../../src/contracts/run-status';
import { OcrProgressReader } from '../../src/progress/ocr-progress';
import type { RunEvent, RunRecord } from '../../src/status/run-store';
import type { RunProgressView } from './run-view';

/** What watching reads of the run store (RunStore has it). */
export interface RunReader {
  getRun(runId: string): Promise<RunRecord | undefined>;
  listEvents(runId: string): Promise<RunEvent[]>;
}

export interface WatchRunOptions {
  store: RunReader;
  runId: string;
  view: RunProgressView;
  /** The stack's bucket and a client of it, for the OCR count; absent: no count. */
  ocr?: { s3: S3Client; bucket: string } | undefined;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The job's lines printed since the last call (src/logs/training-log.ts logTail: CloudWatch Logs on AWS),
   * so the trainer's `[metric]` lines show as it prints them; absent: the record's latest metrics only.
   * A failing read is said once and not tried again (no access to the logs, no CloudWatch locally).
   */
  trainerLines?: ((jobName: string) => Promise<string[]>) | undefined;
}

const eventKey = (event: RunEvent): string => `${event.status}#${event.progressKey ?? ''}#${event.at}`;

const metricsText = (metrics: Record<string, number>): string =>
  ['val_f1', 'val_field_exact', 'val_loss', 'train_loss']
    .filter((name) => metrics[name] !== undefined)
    .map((name) => `${name}=${metrics[name]?.toFixed(4) ?? ''}`)
    .join(' ');

export const watchRun = async (options: WatchRunOptions): Promise<number> => {
  const { store, runId, view } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const seen = new Set<string>();
  const ocr = options.ocr === undefined ? undefined : new OcrProgressReader(options.ocr.s3, options.ocr.bucket, runId);
  let lastMetrics = '';
  let trainerLines = options.trainerLines;
  const showTrainerLines = async (jobName: string | undefined): Promise<void> => {
    if (trainerLines === undefined || jobName === undefined) return;
    try {
      for (const line of await trainerLines(jobName)) view.trainerLine(line);
    } catch (error) {
      trainerLines = undefined;
      view.log(`(the trainer's own lines are not shown: ${error instanceof Error ? error.message : String(error)})`);
    }
  };
  for (;;) {
    const record = await store.getRun(runId);
    if (record === undefined) {
      view.log(`doctrain: no run ${runId} in the runs table`);
      return 1;
    }
    for (const event of (await store.listEvents(runId)).sort((a, b) => a.at.localeCompare(b.at))) {
      if (seen.has(eventKey(event))) continue;
      seen.add(eventKey(event));
      // A status change, or one of the job's (`003-Training`, `004-Interrupted`: one per secondary status, not per poll).
      view.milestone(`-> ${event.status}${event.progressKey ? ` (${event.progressKey})` : ''} at ${event.at}`);
    }
    if (record.status === 'PREPARING' && ocr !== undefined) view.ocr(await ocr.read());
    if (record.status !== 'PENDING' && record.status !== 'PREPARING') await showTrainerLines(record.trainingJobName);
    const progress = record.progress;
    if (record.status === 'TRAINING' && progress !== undefined) {
      const metrics = metricsText(progress.metrics);
      if (metrics !== '' && metrics !== lastMetrics) {
        lastMetrics = metrics;
        view.log(`  metrics (latest poll): ${metrics}`);
      }
      view.training({
        status: record.trainingJobStatus ?? '?',
        secondaryStatus: record.secondaryStatus ?? '?',
        elapsedSeconds: progress.elapsedSeconds,
        detail: `poll ${progress.polls}, polled at ${progress.polledAt}`,
      });
    }
    if (isTerminal(record.status)) {
      view.milestone(
        `run ${runId} ended ${record.status}${record.failure === undefined ? '' : `: ${record.failure.error}: ${record.failure.message}`}`,
      );
      return record.status === 'COMPLETED' || record.status === 'SKIPPED' ? 0 : 1;
    }
    await sleep(options.pollMs);
  }
};
