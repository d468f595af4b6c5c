/**
 * FinalizeRun: read the finished training job once and turn it into the run's terminal record:
 * metrics, model artifact, billable time, spot savings and a cost estimate, or the failure reason.
 */
import { DescribeTrainingJobCommand, type DescribeTrainingJobResponse, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ON_DEMAND_PRICE_PER_HOUR } from '../config/run-config';
import * as z from 'zod';
import { attemptRecordSchema } from '../contracts/training-config';
import type { FinalizeRunEvent, RunOutcome } from '../contracts/step-events';
import type { RunStore } from '../status/run-store';

export interface TrainingCost {
  billableSeconds: number;
  trainingSeconds: number;
  spotSavingsPercent: number;
  costEstimateUsd: number;
}

/** Managed spot bills BillableTimeInSeconds at the on-demand rate; savings are the unbilled share. */
export const trainingCost = (job: DescribeTrainingJobResponse): TrainingCost => {
  const trainingSeconds = job.TrainingTimeInSeconds ?? 0;
  const billableSeconds = job.BillableTimeInSeconds ?? trainingSeconds;
  const pricePerHour = ON_DEMAND_PRICE_PER_HOUR[job.ResourceConfig?.InstanceType ?? ''] ?? 0;
  const instances = job.ResourceConfig?.InstanceCount ?? 1;
  return {
    billableSeconds,
    trainingSeconds,
    spotSavingsPercent: trainingSeconds > 0 ? Math.round((1 - billableSeconds / trainingSeconds) * 1000) / 10 : 0,
    costEstimateUsd: Math.round((billableSeconds / 3600) * pricePerHour * instances * 10000) / 10000,
  };
};

export const finalMetrics = (job: DescribeTrainingJobResponse): Record<string, number> =>
  Object.fromEntries(
    (job.FinalMetricDataList ?? [])
      .filter((metric) => metric.MetricName !== undefined && metric.Value !== undefined)
      .map((metric) => [metric.MetricName as string, metric.Value as number]),
  );

export const finalizeRun = async (
  deps: { sagemaker: SageMakerClient; store: RunStore; now: () => Date },
  params: FinalizeRunEvent,
): Promise<RunOutcome> => {
  const job = await deps.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: params.trainingJobName }));
  const trainingJobStatus = job.TrainingJobStatus ?? 'Unknown';
  const completed = trainingJobStatus === 'Completed';
  // The run record, read once: a stop request on it (doctrain stop) and its attempts.
  const run = await deps.store.getRun(params.runId);
  const stopped = trainingJobStatus === 'Stopped' && run?.['stopRequested'] !== undefined;
  const metrics = finalMetrics(job);
  const modelArtifactUri = job.ModelArtifacts?.S3ModelArtifacts;
  const failureReason = completed
    ? undefined
    : stopped
      ? `Training job ${params.trainingJobName} stopped on request`
      : (job.FailureReason ?? `Training job ${params.trainingJobName} ended ${trainingJobStatus}`);
  const outcome: RunOutcome = {
    status: completed ? 'COMPLETED' : stopped ? 'STOPPED' : 'FAILED',
    trainingJobStatus,
    metrics,
    ...(failureReason === undefined ? {} : { failureReason }),
    ...(completed && modelArtifactUri !== undefined ? { modelArtifactUri } : {}),
  };
  const cost = trainingCost(job);
  // The run's attempts (src/training/attempts.ts): the last one, this job, gets its final status and time.
  const recorded = z.array(attemptRecordSchema).safeParse(run?.['attempts']);
  const attempts = recorded.success
    ? recorded.data.map((attempt) =>
        attempt.jobName === params.trainingJobName
          ? {
              ...attempt,
              status: attemptRecordSchema.shape.status.catch(attempt.status).parse(trainingJobStatus),
              billableSeconds: cost.billableSeconds,
              trainingSeconds: cost.trainingSeconds,
              ...(failureReason === undefined ? {} : { failureReason }),
            }
          : attempt,
      )
    : undefined;
  await deps.store.writeStatusChange({
    runId: params.runId,
    executionName: params.executionName,
    status: outcome.status,
    at: deps.now().toISOString(),
    attributes: {
      trainingJobName: params.trainingJobName,
      trainingJobStatus,
      instanceType: job.ResourceConfig?.InstanceType,
      spot: job.EnableManagedSpotTraining ?? false,
      metrics,
      modelArtifactUri: outcome.modelArtifactUri,
      failure: failureReason === undefined || stopped ? undefined : { error: 'TrainingJobFailed', message: failureReason },
      ...cost,
      attempts,
    },
    detail: { trainingJobStatus, ...(failureReason === undefined ? {} : { failureReason }) },
  });
  return outcome;
};
