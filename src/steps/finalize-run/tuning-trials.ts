/**
 * A tuning run's trials for FinalizeRun: every training job of the run's tuning job
 * (ListTrainingJobsForHyperParameterTuningJob, with the SDK's paginator), each read once
 * (DescribeTrainingJob) for its billable time, so the run's cost ledger bills every trial and its record
 * lists them with the hyperparameters drawn and the objective each reported.
 */
import {
  DescribeTrainingJobCommand,
  paginateListTrainingJobsForHyperParameterTuningJob,
  type HyperParameterTrainingJobSummary,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { jobUsage, type JobUsage } from '../../cost/ledger';
import type { TuningConfig, TuningTrial } from '../../contracts/tuning';

export interface TuningTrials {
  /** Every trial, in the order SageMaker created them. */
  trials: TuningTrial[];
  /** The trials' usage for the ledger, the best trial (the run's job, billed by FinalizeRun itself) left out. */
  otherJobs: JobUsage[];
}

const listTrials = async (sagemaker: SageMakerClient, tuningJobName: string): Promise<HyperParameterTrainingJobSummary[]> => {
  const summaries: HyperParameterTrainingJobSummary[] = [];
  const pages = paginateListTrainingJobsForHyperParameterTuningJob(
    { client: sagemaker, pageSize: 100 },
    { HyperParameterTuningJobName: tuningJobName, SortBy: 'CreationTime', SortOrder: 'Ascending' },
  );
  for await (const page of pages) summaries.push(...(page.TrainingJobSummaries ?? []));
  return summaries;
};

export const tuningTrials = async (
  sagemaker: SageMakerClient,
  tuning: TuningConfig,
  bestTrainingJobName: string,
  now: Date,
): Promise<TuningTrials> => {
  const summaries = await listTrials(sagemaker, tuning.jobName);
  const trials: TuningTrial[] = [];
  const otherJobs: JobUsage[] = [];
  for (const summary of summaries) {
    const name = summary.TrainingJobName;
    if (name === undefined) continue;
    const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    const usage = jobUsage({ ...job, TrainingJobName: name }, now);
    if (name !== bestTrainingJobName) otherJobs.push(usage);
    const objective = summary.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    trials.push({
      trainingJobName: name,
      status: summary.TrainingJobStatus ?? job.TrainingJobStatus ?? 'Unknown',
      ...(objective === undefined ? {} : { objectiveValue: objective }),
      hyperparameters: { ...summary.TunedHyperParameters },
      ...(job.BillableTimeInSeconds === undefined ? {} : { billableSeconds: job.BillableTimeInSeconds }),
      ...(summary.FailureReason === undefined ? {} : { failureReason: summary.FailureReason }),
    });
  }
  return { trials, otherJobs };
};
