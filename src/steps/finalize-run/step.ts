/**
 * FinalizeRun: read the finished training job once and turn it into the run's record (terminal, or
 * EVALUATING for a completed job, which PromoteModel then records COMPLETED):
 * metrics, model artifact, billable time, spot savings and the run's final cost ledger (src/cost/ledger.ts),
 * or the failure reason. A job the poll loop stopped for its budget ends BUDGET_EXCEEDED.
 */
import { DescribeTrainingJobCommand, type DescribeTrainingJobResponse, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { attemptRecordSchema } from '../../contracts/training-config';
import type { FinalizeRunEvent, RunOutcome } from './schema';
import { costLedger, earlierJobs, jobUsage } from '../../cost/ledger';
import type { RunStore } from '../../status/run-store';
import { tuningTrials } from './tuning-trials';
import type { TuningTrial } from '../../contracts/tuning';

export const finalMetrics = (job: DescribeTrainingJobResponse): Record<string, number> =>
  Object.fromEntries(
    (job.FinalMetricDataList ?? [])
      .filter((metric) => metric.MetricName !== undefined && metric.Value !== undefined)
      .map((metric) => [metric.MetricName as string, metric.Value as number]),
  );

const objectiveOf = (trials: readonly TuningTrial[], name: string): { objectiveValue?: number } => {
  const value = trials.find((trial) => trial.trainingJobName === name)?.objectiveValue;
  return value === undefined ? {} : { objectiveValue: value };
};

export const finalizeRun = async (
  deps: { sagemaker: SageMakerClient; store: RunStore; now: () => Date },
  params: FinalizeRunEvent,
): Promise<RunOutcome> => {
  const job = await deps.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: params.trainingJobName }));
  const trainingJobStatus = job.TrainingJobStatus ?? 'Unknown';
  const completed = trainingJobStatus === 'Completed';
  // The run record, read once: a stop request on it (doctrain stop) and its attempts.
  const run = await deps.store.getRun(params.runId);
  const stopped = trainingJobStatus === 'Stopped' && run?.stopRequested !== undefined;
  // The poll loop's last ledger (Textract pages, polls, the budget) and its budget stop, if it decided one.
  const lastPoll = run?.cost;
  const budgetStop = run?.budgetStop;
  // A tuning run: every trial is billed and listed; the run's job is the best one.
  const tuning = params.tuning ? await tuningTrials(deps.sagemaker, params.tuning, params.trainingJobName, deps.now()) : undefined;
  const overBudget = trainingJobStatus === 'Stopped' && !stopped && budgetStop !== undefined;
  const cost = costLedger(
    {
      jobs: [
        ...earlierJobs(run?.attempts, params.trainingJobName),
        ...(tuning?.otherJobs ?? []),
        jobUsage({ ...job, TrainingJobName: params.trainingJobName }, deps.now()),
      ],
      textractPages: lastPoll?.textract.pages ?? 0,
      polls: lastPoll?.orchestration.polls ?? 0,
      budgetUsd: lastPoll?.budgetUsd ?? null,
      at: deps.now().toISOString(),
    },
    params.prices,
  );
  const jobCost = cost.training.at(-1);
  const metrics = finalMetrics(job);
  const modelArtifactUri = job.ModelArtifacts?.S3ModelArtifacts;
  const failureReason = completed
    ? undefined
    : stopped
      ? `Training job ${params.trainingJobName} stopped on request`
      : overBudget
        ? `Training job ${params.trainingJobName} stopped: the projected cost $${budgetStop.projectedUsd.toFixed(4)} passed the run's budget of $${budgetStop.budgetUsd.toFixed(2)} (final cost $${cost.totalUsd.toFixed(4)})`
        : (job.FailureReason ?? `Training job ${params.trainingJobName} ended ${trainingJobStatus}`);
  const outcome: RunOutcome = {
    status: completed ? 'COMPLETED' : stopped ? 'STOPPED' : overBudget ? 'BUDGET_EXCEEDED' : 'FAILED',
    trainingJobStatus,
    metrics,
    ...(failureReason === undefined ? {} : { failureReason }),
    ...(completed && modelArtifactUri !== undefined ? { modelArtifactUri } : {}),
  };
  // The run's attempts (src/steps/training-attempt/attempts.ts): the last one, this job, gets its final status and time.
  const attempts = run?.attempts
    ? run.attempts.map((attempt) =>
        attempt.jobName === params.trainingJobName
          ? {
              ...attempt,
              status: attemptRecordSchema.shape.status.catch(attempt.status).parse(trainingJobStatus),
              billableSeconds: jobCost?.billableSeconds ?? 0,
              trainingSeconds: jobCost?.trainingSeconds ?? 0,
              ...(failureReason === undefined ? {} : { failureReason }),
            }
          : attempt,
      )
    : undefined;
  await deps.store.writeStatusChange({
    runId: params.runId,
    executionName: params.executionName,
    // A completed job's run is EVALUATING until PromoteModel records it COMPLETED with the promotion decision.
    status: outcome.status === 'COMPLETED' ? 'EVALUATING' : outcome.status,
    at: deps.now().toISOString(),
    attributes: {
      trainingJobName: params.trainingJobName,
      trainingJobStatus,
      instanceType: job.ResourceConfig?.InstanceType,
      spot: job.EnableManagedSpotTraining ?? false,
      metrics,
      modelArtifactUri: outcome.modelArtifactUri,
      failure:
        failureReason === undefined || stopped
          ? undefined
          : { error: overBudget ? 'BudgetExceeded' : 'TrainingJobFailed', message: failureReason },
      billableSeconds: jobCost?.billableSeconds,
      trainingSeconds: jobCost?.trainingSeconds,
      spotSavingsPercent: jobCost?.spotSavingsPercent,
      cost,
      attempts,
      tuning:
        tuning === undefined || run?.tuning === undefined
          ? undefined
          : {
              ...run.tuning,
              best: {
                trainingJobName: params.trainingJobName,
                ...objectiveOf(tuning.trials, params.trainingJobName),
              },
              trials: tuning.trials,
            },
    },
    detail: { trainingJobStatus, ...(failureReason === undefined ? {} : { failureReason }) },
  });
  return outcome;
};
