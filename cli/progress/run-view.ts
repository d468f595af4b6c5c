/**
 * What a person watching a run sees, whatever feeds it (the local runtime's execution events and its
 * SageMaker's output as they happen): the states as they are entered, the OCR count with its rate and
 * time left, each line the trainer prints about its epochs, spot interruptions and resumes, and the poll
 * loop as one status (rewritten in place on a TTY, a line per change of the job's status elsewhere).
 */
import { formatDuration, RateMeter } from '../../src/progress/rate';
import type { OcrProgress } from '../../src/progress/ocr-progress';
import type { DatasetPointers } from '../../src/steps/build-dataset/schema';
import type { PollResult } from '../../src/steps/poll-training/schema';
import type { ProgressDisplay } from './display';
import { failureMessage, nameFolder, type FolderName } from './failure';

/** States reported otherwise: the OCR Map's iterations (as the OCR count) and the poll loop (as one status). */
export const QUIET_STATES: ReadonlySet<string> = new Set([
  'OcrBatch',
  'TextractJobsPending',
  'WaitForTextractJobs',
  'CollectTextractJobs',
  'OcrBatchDone',
  'StartPolling',
  'InitPolling',
  'PollNewJob',
  'WaitForTraining',
  'PollTraining',
  'TrainingStatus',
]);

/** The trainer's lines worth showing while it runs: its `[metric]` lines (epochs, the best one, the champion's). */
const isMetricLine = (line: string): boolean => line.includes('[metric]');

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export class RunProgressView {
  private readonly ocrRate = new RateMeter();
  private lastOcrDone = -1;
  /** The failures shown: a Catch passes a state's error on to the states after it, and the execution ends with it too. */
  private readonly failuresShown = new Set<string>();
  private folder: FolderName | undefined;

  public constructor(
    private readonly display: ProgressDisplay,
    /** When the run started (ms), for the `[  12.3 s]` stamp of each line. */
    private readonly startedMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private stamp(message: string): string {
    return `[${seconds(this.now() - this.startedMs).padStart(7)}] ${message}`;
  }

  /** A permanent, stamped line (the commands' own messages too). */
  public log(message: string): void {
    this.display.line(this.stamp(message));
  }

  /** A line that closes the current status (a new phase begins). */
  public milestone(message: string): void {
    this.display.end();
    this.log(message);
  }

  public stateEntered(stateName: string): void {
    if (QUIET_STATES.has(stateName)) return;
    this.milestone(`-> ${stateName}`);
  }

  /** Messages name `folder` where they would name the S3 prefix it was uploaded to. */
  public nameFolder(folder: FolderName): void {
    this.folder = folder;
  }

  /** A failed state (or execution), once per error: the same error passed on by a Catch is not shown again. */
  public stateFailed(stateName: string | undefined, error: string | undefined, cause: string | undefined): void {
    const message = this.failure(error, cause);
    if (this.failuresShown.has(message)) return;
    this.failuresShown.add(message);
    this.log(`!! ${stateName ?? 'execution'} failed: ${message}`);
  }

  /** A failure as the view shows it (type and message, the user's folder named). */
  public failure(error: string | undefined, cause: string | undefined): string {
    return nameFolder(failureMessage(error, cause), this.folder);
  }

  /** Was this failure shown already (as it happened)? */
  public failureShown(error: string | undefined, cause: string | undefined): boolean {
    return this.failuresShown.has(this.failure(error, cause));
  }

  public ocr(progress: OcrProgress): void {
    if (progress.done === this.lastOcrDone) return;
    this.lastOcrDone = progress.done;
    this.ocrRate.sample(this.now(), progress.done);
    const { perSecond, etaSeconds } = this.ocrRate.estimate(progress.total);
    const total = progress.total ?? '?';
    const parts = [
      `OCR ${progress.done}/${total} documents`,
      ...(progress.batches === undefined ? [] : [`${progress.batchesDone}/${progress.batches} batches`]),
      ...(progress.cacheHits > 0 ? [`${progress.cacheHits} from the OCR cache`] : []),
      ...(progress.quarantined > 0 ? [`${progress.quarantined} quarantined`] : []),
      ...(perSecond === undefined ? [] : [`${perSecond.toFixed(perSecond < 10 ? 2 : 1)} documents/s`]),
      ...(etaSeconds === undefined || progress.done === progress.total ? [] : [`about ${formatDuration(etaSeconds)} left`]),
    ];
    const message = this.stamp(parts.join(', '));
    this.display.status(message);
    if (progress.total !== undefined && progress.done >= progress.total) {
      const started = this.ocrRate.startedAtMs;
      this.display.end();
      this.log(
        `OCR done: ${progress.done} documents${started === undefined ? '' : ` in ${formatDuration((this.now() - started) / 1000)}`}`,
      );
    }
  }

  /** BuildDataset's result: what the job trains on. */
  public dataset(dataset: Pick<DatasetPointers, 'counts' | 'textractPagesBilled' | 'prefix'>): void {
    const { counts } = dataset;
    this.milestone(
      `dataset built: ${counts.documents} documents (train ${counts.train}, validation ${counts.validation}, quarantined ${counts.quarantined}), ${dataset.textractPagesBilled} Textract page(s) billed, in ${dataset.prefix}`,
    );
  }

  /** A PollTraining result: the poll loop's one status. */
  public poll(result: PollResult): void {
    this.training({
      status: result.job.TrainingJobStatus,
      secondaryStatus: result.job.SecondaryStatus,
      elapsedSeconds: result.elapsedSeconds,
      detail: `poll ${result.pollCount}, next in ${result.waitSeconds} s`,
    });
  }

  /** The training job as last polled: one status, a plain line only when its status changes. */
  public training(job: { status: string; secondaryStatus: string; elapsedSeconds: number; detail: string }): void {
    const state = `${job.status}/${job.secondaryStatus}`;
    this.display.status(this.stamp(`training job: ${state}, ${formatDuration(job.elapsedSeconds)} since created (${job.detail})`), {
      plain: this.stamp(`training job: ${state}`),
      key: state,
    });
  }

  /** A secondary status change of the job as it happens (the spot reclaim and the restart among them). */
  public jobStatus(secondaryStatus: string, message: string): void {
    this.display.end();
    const spot = secondaryStatus === 'Interrupted' ? 'spot interruption: ' : /restart/i.test(message) ? 'spot resume: ' : '';
    this.log(`   ${spot}training job ${secondaryStatus}: ${message}`);
  }

  /** A line of the trainer's output, as it prints it. */
  public trainerLine(line: string): void {
    if (!isMetricLine(line)) return;
    this.log(`  ${line.slice(line.indexOf('[metric]'))}`);
  }

  public end(): void {
    this.display.end();
  }
}
