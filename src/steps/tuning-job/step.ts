/**
 * TuningJob: the run's SageMaker hyperparameter tuning job around its CreateHyperParameterTuningJob
 * (statemachines/train-pipeline.asl.yml). `prepare` takes the tuned keys out of the job's hyperparameters
 * (the trials' StaticHyperParameters) and records the run TRAINING with its tuning job; `poll` reads the
 * job once (DescribeHyperParameterTuningJob), records its progress (trials ended / in progress / total, the
 * best so far) and says when to poll next. When the job has Completed, its BestTrainingJob is the run's
 * training job: FinalizeRun, the cost ledger and the promotion read it as they read any run's job.
 */
import {
  DescribeHyperParameterTuningJobCommand,
  type DescribeHyperParameterTuningJobResponse,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { nextPollSeconds } from '../../polling/schedule';
import { staticHyperparameters, type TuningConfig, type TuningRecord } from '../../contracts/tuning';
import type { RunStore } from '../../status/run-store';
import type { PollTuningEvent, PreparedTuning, PrepareTuningEvent, TuningPoll } from './schema';

export interface TuningJobDeps {
  sagemaker: SageMakerClient;
  store: RunStore;
  now: () => Date;
  /** The longest wait between polls (the poll loop's DOCTRAIN_MAX_POLL_SECONDS). */
  maxPollSeconds: number;
  /** A progress write that failed: the loop goes on and records on the next poll. */
  onProgressError?: (error: unknown) => void;
}

/** The record's `tuning` before the job has been polled. */
export const initialTuningRecord = (tuning: TuningConfig): TuningRecord => ({
  jobName: tuning.jobName,
  strategy: tuning.jobConfig.Strategy,
  objective: {
    metric: tuning.jobConfig.HyperParameterTuningJobObjective.MetricName,
    type: tuning.jobConfig.HyperParameterTuningJobObjective.Type,
  },
  status: 'Creating',
  trialsTotal: tuning.jobConfig.ResourceLimits.MaxNumberOfTrainingJobs,
  trialsEnded: 0,
  trialsInProgress: 0,
  best: null,
});

export const prepareTuning = async (deps: Pick<TuningJobDeps, 'store' | 'now'>, event: PrepareTuningEvent): Promise<PreparedTuning> => {
  await deps.store.writeStatusChange({
    runId: event.runId,
    executionName: event.executionName,
    status: 'TRAINING',
    at: deps.now().toISOString(),
    attributes: { ...event.attributes, tuning: initialTuningRecord(event.tuning) },
    progressKey: 'tuning-created',
    detail: { tuningJobName: event.tuning.jobName },
  });
  return {
    staticHyperParameters: staticHyperparameters(event.hyperparameters, event.tuning.tunedKeys),
    poll: { status: 'Creating', pollCount: 0, waitSeconds: event.pollSeconds, startedAt: null },
  };
};

/** The record's `tuning` as one DescribeHyperParameterTuningJob shows it. */
export const tuningProgress = (tuning: TuningConfig, job: DescribeHyperParameterTuningJobResponse): TuningRecord => {
  const counters = job.TrainingJobStatusCounters ?? {};
  const best = job.BestTrainingJob;
  return {
    ...initialTuningRecord(tuning),
    status: job.HyperParameterTuningJobStatus ?? 'Unknown',
    trialsEnded: (counters.Completed ?? 0) + (counters.Stopped ?? 0) + (counters.NonRetryableError ?? 0) + (counters.RetryableError ?? 0),
    trialsInProgress: counters.InProgress ?? 0,
    best:
      best?.TrainingJobName === undefined
        ? null
        : {
            trainingJobName: best.TrainingJobName,
            ...(best.FinalHyperParameterTuningJobObjectiveMetric?.Value === undefined
              ? {}
              : { objectiveValue: best.FinalHyperParameterTuningJobObjectiveMetric.Value }),
          },
    ...(job.FailureReason === undefined ? {} : { failureReason: job.FailureReason }),
  };
};

export const pollTuning = async (deps: TuningJobDeps, event: PollTuningEvent): Promise<TuningPoll> => {
  const now = deps.now();
  const job = await deps.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: event.tuning.jobName }));
  const progress = tuningProgress(event.tuning, job);
  const startedAt = event.startedAt ?? now.toISOString();
  // The run record, for a stop request on it; a failed read is a missed look, never a failed poll.
  const run = await deps.store.getRun(event.runId).catch((error: unknown) => {
    deps.onProgressError?.(error);
    return undefined;
  });
  try {
    await deps.store.writeStatusChange({
      runId: event.runId,
      executionName: event.executionName,
      status: 'TRAINING',
      at: now.toISOString(),
      attributes: { tuning: progress },
      // One event per trial that ends (and per status), not one per poll.
      progressKey: `tuning-${progress.status}-${progress.trialsEnded}of${progress.trialsTotal}`,
      detail: { tuningJobStatus: progress.status, trialsEnded: progress.trialsEnded, best: progress.best },
    });
  } catch (error) {
    deps.onProgressError?.(error);
  }
  const elapsedSeconds = (now.getTime() - new Date(startedAt).getTime()) / 1000;
  return {
    status: progress.status,
    pollCount: event.pollCount + 1,
    waitSeconds: nextPollSeconds({ pollSeconds: event.pollSeconds, maxPollSeconds: deps.maxPollSeconds }, elapsedSeconds),
    startedAt,
    stopRequested: run?.stopRequested !== undefined,
    bestTrainingJobName: progress.best?.trainingJobName ?? null,
    failureReason:
      progress.status === 'Completed' && progress.best === null
        ? `Tuning job ${event.tuning.jobName} completed without a best training job: no trial reported ${progress.objective.metric}`
        : (progress.failureReason ??
          (progress.status === 'Failed' || progress.status === 'Stopped'
            ? `Tuning job ${event.tuning.jobName} ended ${progress.status}`
            : null)),
  };
};

export const tuningJobStep = (deps: TuningJobDeps, event: PrepareTuningEvent | PollTuningEvent): Promise<PreparedTuning | TuningPoll> =>
  event.action === 'prepare' ? prepareTuning(deps, event) : pollTuning(deps, event);
