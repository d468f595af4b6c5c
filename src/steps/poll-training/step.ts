/**
 * PollTraining: one step of the training poll loop (statemachines/train-pipeline.asl.yml), everything a
 * poll needs in one Lambda call so a poll costs 3 state transitions and 9 history events
 * (src/polling/schedule.ts):
 *  - DescribeTrainingJob (its failure is the step's failure: the ASL retries it);
 *  - progress on the run record: training job status, secondary status, elapsed / training / billable
 *    seconds, the latest metrics, the checkpoint watchdog's finding. A failed write never fails the step:
 *    the SDK has retried it already, the next poll writes again, and a healthy job is never stopped for it;
 *  - the checkpoint watchdog: while Training, the newest object under the checkpoint URI must be younger
 *    than checkpointStaleFactor x checkpointIntervalSeconds;
 *  - a stop request on the run record (`doctrain stop`);
 *  - the cost ledger so far (src/cost/ledger.ts) on the run record, and whether the projected cost passed
 *    the run's budget (the loop then stops the job; FinalizeRun records BUDGET_EXCEEDED);
 *  - the next wait (adaptive) and whether this execution must continue as new (history budget).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand, type DescribeTrainingJobResponse, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { parseS3Uri } from '../../aws/s3-objects';
import { ThrottlingError } from '../../contracts/errors';
import { nextPollSeconds, pollsPerExecution, type PollSchedule } from '../../polling/schedule';
import type { BudgetStop, CostLedger } from '../../contracts/cost-ledger';
import type { CheckpointWarning } from '../../contracts/run-record';
import type { AttemptRecord } from '../../contracts/training-config';
import { earlierJobs, jobUsage, projectedLedger } from '../../cost/ledger';
import type { PollResult, PollTrainingEvent } from './schema';
import type { RunStore } from '../../status/run-store';
import { finalMetrics } from '../finalize-run/step';

export type PollParams = PollTrainingEvent;

export interface PollSettings extends PollSchedule {
  loopHistoryBudget: number;
  checkpointIntervalSeconds: number;
  checkpointStaleFactor: number;
}

const TERMINAL_JOB_STATUSES = new Set(['Completed', 'Failed', 'Stopped']);
/** Step Functions execution names: at most 80 characters. */
const EXECUTION_NAME_MAX = 80;

/** `<first execution>-c<n>`: deterministic, so a retried StartExecution (same name, same input) is idempotent. */
export const continuationName = (executions: readonly string[]): string => {
  const first = executions[0] ?? 'run';
  const suffix = `-c${executions.length}`;
  return `${first.slice(0, EXECUTION_NAME_MAX - suffix.length)}${suffix}`;
};

const seconds = (from: Date | undefined, to: Date): number =>
  from === undefined ? 0 : Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

/** The folder a checkpoint URI names: its key as a prefix ending in '/', or '' for the bucket's root. */
const checkpointFolder = (uri: string): { bucket: string; prefix: string } => {
  const { bucket, key } = parseS3Uri(uri);
  return { bucket, prefix: key === '' || key.endsWith('/') ? key : `${key}/` };
};

/** The newest LastModified under the prefix (all pages), or undefined when it holds nothing. */
export const newestObjectTime = async (s3: S3Client, uri: string): Promise<Date | undefined> => {
  const { bucket, prefix } = checkpointFolder(uri);
  let newest: Date | undefined;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.LastModified !== undefined && (newest === undefined || object.LastModified > newest)) newest = object.LastModified;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return newest;
};

/** When the current Training period began: the newest `Training` secondary transition (a spot restart starts a new one). */
const trainingSince = (job: DescribeTrainingJobResponse): Date | undefined =>
  [...(job.SecondaryStatusTransitions ?? [])].reverse().find((t) => t.Status === 'Training')?.StartTime;

/**
 * The watchdog's rule: while the job trains, its newest checkpoint (or, before the first one, the start of
 * training) must be younger than factor x interval. Returns the warning, or undefined when all is well.
 */
export const checkpointWarning = (
  job: DescribeTrainingJobResponse,
  newestCheckpoint: Date | undefined,
  settings: Pick<PollSettings, 'checkpointIntervalSeconds' | 'checkpointStaleFactor'>,
  now: Date,
): CheckpointWarning | undefined => {
  if (job.TrainingJobStatus !== 'InProgress' || job.SecondaryStatus !== 'Training') return undefined;
  const since = trainingSince(job);
  // A checkpoint from before this Training period (restored after a spot restart) is no sign of life;
  // the period's start is the reference until a new one arrives.
  const reference = newestCheckpoint !== undefined && (since === undefined || newestCheckpoint >= since) ? newestCheckpoint : since;
  if (reference === undefined) return undefined;
  const thresholdSeconds = settings.checkpointStaleFactor * settings.checkpointIntervalSeconds;
  const ageSeconds = seconds(reference, now);
  if (ageSeconds <= thresholdSeconds) return undefined;
  return {
    newestCheckpointAt: newestCheckpoint?.toISOString() ?? null,
    ageSeconds,
    thresholdSeconds,
    message:
      newestCheckpoint === undefined
        ? `no checkpoint under the checkpoint URI after ${ageSeconds} s of training (expected one every ${settings.checkpointIntervalSeconds} s): a spot interruption now would lose all progress`
        : `the newest checkpoint is ${ageSeconds} s old (expected one every ${settings.checkpointIntervalSeconds} s, warning above ${thresholdSeconds} s): is the trainer still checkpointing?`,
  };
};

/**
 * Polls so far in the run's chain of executions: each earlier execution continued as new after
 * pollsPerExecution polls (an estimate: a failed hand-over polls a little longer), plus this one's.
 */
const runPolls = (settings: PollSettings, polling: PollParams['polling'], pollCount: number): number =>
  (polling.executions.length - 1) * pollsPerExecution(settings.loopHistoryBudget) + pollCount;

/** The ledger at this poll: earlier attempts, this job so far, Textract, the loop; projected to the next poll. */
const pollLedger = (
  settings: PollSettings,
  params: PollParams,
  job: DescribeTrainingJobResponse,
  attempts: readonly AttemptRecord[] | undefined,
  at: { now: Date; elapsedSeconds: number; pollCount: number },
): CostLedger => {
  const running = jobUsage({ ...job, TrainingJobName: job.TrainingJobName ?? params.trainingJobName }, at.now);
  return projectedLedger(
    {
      jobs: earlierJobs(attempts, params.trainingJobName),
      running,
      // The wait the loop would take next (not the short one of a stop in progress): both it and the
      // cost so far only grow, so a run once over its budget stays over it.
      horizonSeconds: TERMINAL_JOB_STATUSES.has(job.TrainingJobStatus ?? '')
        ? 0
        : nextPollSeconds({ pollSeconds: params.pollSeconds, maxPollSeconds: settings.maxPollSeconds }, at.elapsedSeconds),
      textractPages: params.textractPagesBilled,
      polls: runPolls(settings, params.polling, at.pollCount),
      budgetUsd: params.budgetUsd,
      at: at.now.toISOString(),
    },
    params.prices,
  );
};

const budgetMessage = (stop: BudgetStop): string =>
  `projected cost $${stop.projectedUsd.toFixed(4)} (spent $${stop.spentUsd.toFixed(4)}) passes the budget of $${stop.budgetUsd.toFixed(2)}: stopping the training job`;

const describeJob = async (sagemaker: SageMakerClient, name: string): Promise<DescribeTrainingJobResponse> => {
  try {
    return await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
  } catch (error) {
    const errorName = (error as { name?: string }).name ?? '';
    if (errorName === 'ThrottlingException') throw new ThrottlingError(`DescribeTrainingJob ${name} was throttled`, { cause: error });
    throw error;
  }
};

/**
 * The progress key of a poll: one run event per secondary-status transition (`003-Training`), however
 * often the loop polls; zero-padded so the keys sort in the order of the transitions.
 */
export const transitionProgressKey = (
  job: Partial<Pick<DescribeTrainingJobResponse, 'SecondaryStatus' | 'SecondaryStatusTransitions'>>,
): string => `${String((job.SecondaryStatusTransitions ?? []).length).padStart(3, '0')}-${job.SecondaryStatus ?? 'Unknown'}`;

export const pollTraining = async (
  deps: {
    sagemaker: SageMakerClient;
    s3: S3Client;
    store: RunStore;
    now: () => Date;
    settings: PollSettings;
    /** Told when the watchdog warns (the handler publishes a metric). */
    onCheckpointStale?: (warning: CheckpointWarning) => void;
    onProgressError?: (error: unknown) => void;
  },
  params: PollParams,
): Promise<PollResult> => {
  const job = await describeJob(deps.sagemaker, params.trainingJobName);
  const now = deps.now();
  const status = job.TrainingJobStatus ?? 'Unknown';
  const secondary = job.SecondaryStatus ?? 'Unknown';
  const terminal = TERMINAL_JOB_STATUSES.has(status);
  const elapsedSeconds = seconds(job.CreationTime, now);

  let warning: CheckpointWarning | undefined;
  if (params.checkpointS3Uri !== undefined && status === 'InProgress' && secondary === 'Training') {
    // The watchdog is advisory: a listing failure must not fail the poll.
    const newest = await newestObjectTime(deps.s3, params.checkpointS3Uri).catch(() => undefined);
    warning = checkpointWarning(job, newest, deps.settings, now);
    if (warning !== undefined) deps.onCheckpointStale?.(warning);
  }

  const transitions = job.SecondaryStatusTransitions ?? [];
  const pollCount = params.polling.pollCount + 1;
  // The run record, read before the write: the stop request and the earlier attempts (for the ledger).
  // A failed read is a missed poll of the record, never a failed step.
  const run = await deps.store.getRun(params.runId).catch((error: unknown) => {
    deps.onProgressError?.(error);
    return undefined;
  });
  const stopRequestedOnRecord = run?.stopRequested !== undefined;
  const ledger = pollLedger(deps.settings, params, job, run?.attempts, { now, elapsedSeconds, pollCount });
  // A budget stop, once decided, holds (the record keeps it) until the job has ended.
  const decided = run?.budgetStop;
  const overBudget = (decided !== undefined || ledger.budgetExceeded) && !terminal;
  const budgetStop: BudgetStop | undefined =
    overBudget && decided === undefined
      ? {
          at: now.toISOString(),
          projectedUsd: ledger.projectedUsd ?? ledger.totalUsd,
          spentUsd: ledger.totalUsd,
          budgetUsd: ledger.budgetUsd ?? 0,
        }
      : undefined;
  let progressRecorded = true;
  try {
    await deps.store.writeStatusChange({
      runId: params.runId,
      executionName: params.executionName,
      status: 'TRAINING',
      at: now.toISOString(),
      attributes: {
        trainingJobStatus: status,
        secondaryStatus: secondary,
        progress: {
          polledAt: now.toISOString(),
          elapsedSeconds,
          trainingSeconds: job.TrainingTimeInSeconds ?? seconds(job.TrainingStartTime, job.TrainingEndTime ?? now),
          billableSeconds: job.BillableTimeInSeconds ?? null,
          metrics: finalMetrics(job),
          polls: params.polling.pollCount + 1,
          execution: params.executionName,
        },
        checkpointWarning: warning ?? null,
        executions: params.polling.executions,
        cost: ledger,
        budgetStop,
      },
      // One event per secondary-status transition, plus one per watchdog finding and one for a budget stop of that period.
      progressKey: `${transitionProgressKey(job)}${warning === undefined ? '' : '-checkpoint-stale'}${budgetStop === undefined ? '' : '-budget-exceeded'}`,
      detail: {
        secondaryStatus: secondary,
        message: budgetStop !== undefined ? budgetMessage(budgetStop) : (warning?.message ?? transitions.at(-1)?.StatusMessage),
      },
    });
  } catch (error) {
    progressRecorded = false;
    deps.onProgressError?.(error);
  }

  const stopping = status === 'Stopping' || stopRequestedOnRecord || overBudget;
  const continueAsNew = !terminal && pollCount >= pollsPerExecution(deps.settings.loopHistoryBudget);
  const nextExecutionName = continueAsNew ? continuationName(params.polling.executions) : undefined;
  return {
    pollCount,
    executions: params.polling.executions,
    job: {
      TrainingJobStatus: status,
      SecondaryStatus: secondary,
      ...(job.FailureReason === undefined ? {} : { FailureReason: job.FailureReason }),
      ...(job.TrainingTimeInSeconds === undefined ? {} : { TrainingTimeInSeconds: job.TrainingTimeInSeconds }),
      ...(job.BillableTimeInSeconds === undefined ? {} : { BillableTimeInSeconds: job.BillableTimeInSeconds }),
    },
    elapsedSeconds,
    waitSeconds: nextPollSeconds({ pollSeconds: params.pollSeconds, maxPollSeconds: deps.settings.maxPollSeconds }, elapsedSeconds, {
      stopping,
    }),
    stopRequested: stopRequestedOnRecord && status === 'InProgress',
    budgetExceeded: overBudget && status === 'InProgress',
    progressRecorded,
    checkpointStale: warning !== undefined,
    continueAsNew,
    ...(nextExecutionName === undefined ? {} : { nextExecutionName, nextExecutions: [...params.polling.executions, nextExecutionName] }),
  };
};
