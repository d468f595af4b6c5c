/**
 * The cost ledger of a run: what its training attempts, its Textract pages and its poll loop cost at the
 * price table's list prices (src/contracts/prices.ts), itemised, with a total. PollTraining writes it on the run record
 * at every poll (spent so far, and a projection), FinalizeRun once more at the end with each job's
 * reported billable time; the CLI's run summary prints it.
 *
 * Billing rules (as AWS bills):
 * - SageMaker training bills BillableTimeInSeconds x instance count at the instance's on-demand hourly
 *   rate; with managed spot, BillableTimeInSeconds is below TrainingTimeInSeconds and the difference is
 *   the spot saving SageMaker reports. SageMaker reports BillableTimeInSeconds only when a job has ended:
 *   for a running job the ledger takes its training time so far, less `spotSavingsAssumed` for spot.
 * - Textract bills each page it read (cache hits bill nothing): BuildDataset's `textractPagesBilled`.
 * - Step Functions bills state transitions and Lambda its requests: the poll loop's 3 transitions and
 *   1 PollTraining request per poll (src/polling/schedule.ts). Lambda duration and the steps before the
 *   loop (OCR Map, dataset) are not counted: a fraction of a cent per run (bench/polling.ts).
 *
 * The budget rule (a documented simplification of "projected cost"): at each poll the projection is the
 * cost so far plus the current job's rate for the wait until the next poll; when it exceeds the budget
 * the loop stops the job now, so the run's spend never passes the budget by more than what accrues while
 * the job stops. The decision is recorded on the run (`budgetStop`) and kept from then on.
 */
import type { DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import type { CostLedger, TrainingLine } from '../contracts/cost-ledger';
import { TRANSITIONS_PER_POLL } from '../contracts/poll-pace';
import type { AttemptRecord } from '../contracts/training-config';
import type { PriceTable } from '../contracts/prices';

/** What the ledger needs of one training job (DescribeTrainingJob's fields, or an attempt on the run record). */
export interface JobUsage {
  jobName: string;
  instanceType: string;
  instanceCount?: number | undefined;
  spot: boolean;
  trainingSeconds: number;
  /** SageMaker's BillableTimeInSeconds; undefined while the job runs. */
  billableSeconds?: number | undefined;
}

export interface LedgerInput {
  jobs: readonly JobUsage[];
  textractPages: number;
  polls: number;
  budgetUsd: number | null;
  at: string;
}

const elapsed = (from: Date | undefined, to: Date): number =>
  from === undefined ? 0 : Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

/** A job as DescribeTrainingJob reports it: training time so far (or in all), billable time once it ended. */
export const jobUsage = (job: DescribeTrainingJobResponse, now: Date): JobUsage => ({
  jobName: job.TrainingJobName ?? 'unknown',
  instanceType: job.ResourceConfig?.InstanceType ?? 'unknown',
  instanceCount: job.ResourceConfig?.InstanceCount ?? 1,
  spot: job.EnableManagedSpotTraining ?? false,
  trainingSeconds: job.TrainingTimeInSeconds ?? elapsed(job.TrainingStartTime, job.TrainingEndTime ?? now),
  billableSeconds: job.BillableTimeInSeconds,
});

/**
 * The run's other attempts (the run record's `attempts`, src/steps/training-attempt/attempts.ts) that ran a job: a
 * capacity fallback's earlier jobs, with the times recorded when they ended.
 */
export const earlierJobs = (attempts: readonly AttemptRecord[] | undefined, currentJobName: string): JobUsage[] =>
  (attempts ?? [])
    .filter((a) => a.jobName !== currentJobName && (a.trainingSeconds !== undefined || a.billableSeconds !== undefined))
    .map((a) => ({
      jobName: a.jobName,
      instanceType: a.instanceType,
      spot: a.spot,
      trainingSeconds: a.trainingSeconds ?? a.billableSeconds ?? 0,
      billableSeconds: a.billableSeconds,
    }));

/** Dollars to 1e-8, below the smallest price (a Lambda request, $0.0000002): no float noise, nothing lost. */
const roundUsd = (value: number): number => Math.round(value * 1e8) / 1e8;

/** The on-demand hourly price of the job's instances (all of them), or null when the table lacks the type. */
const hourlyRate = (job: Pick<JobUsage, 'instanceType' | 'instanceCount'>, prices: PriceTable): number | null => {
  const price = prices.trainingUsdPerHour[job.instanceType];
  return price === undefined ? null : price * (job.instanceCount ?? 1);
};

export const trainingLine = (job: JobUsage, prices: PriceTable): TrainingLine => {
  const trainingSeconds = Math.max(0, Math.round(job.trainingSeconds));
  const reported = job.billableSeconds !== undefined;
  const billableSeconds = Math.max(
    0,
    Math.round(job.billableSeconds ?? (job.spot ? trainingSeconds * (1 - prices.spotSavingsAssumed) : trainingSeconds)),
  );
  const rate = hourlyRate(job, prices);
  return {
    jobName: job.jobName,
    instanceType: job.instanceType,
    instanceCount: job.instanceCount ?? 1,
    spot: job.spot,
    trainingSeconds,
    billableSeconds,
    billable: reported ? 'reported' : 'estimated',
    usdPerHour: prices.trainingUsdPerHour[job.instanceType] ?? null,
    usd: roundUsd(((rate ?? 0) * billableSeconds) / 3600),
    spotSavingsPercent: trainingSeconds > 0 ? Math.round((1 - billableSeconds / trainingSeconds) * 1000) / 10 : 0,
  };
};

/** The ledger so far: every job's line, Textract, the poll loop; `budgetExceeded` compares the total. */
export const costLedger = (input: LedgerInput, prices: PriceTable, stage: CostLedger['stage'] = 'final'): CostLedger => {
  const training = input.jobs.map((job) => trainingLine(job, prices));
  const trainingUsd = roundUsd(training.reduce((sum, line) => sum + line.usd, 0));
  const textractUsd = roundUsd(input.textractPages * prices.textractUsdPerPage);
  const transitions = input.polls * TRANSITIONS_PER_POLL;
  const orchestrationUsd = roundUsd(
    transitions * prices.orchestration.stateTransitionUsd + input.polls * prices.orchestration.lambdaRequestUsd,
  );
  const totalUsd = roundUsd(trainingUsd + textractUsd + orchestrationUsd);
  return {
    currency: 'USD',
    stage,
    at: input.at,
    prices: { region: prices.region, asOf: prices.asOf },
    training,
    textract: { pages: input.textractPages, usdPerPage: prices.textractUsdPerPage, usd: textractUsd },
    orchestration: { polls: input.polls, transitions, lambdaRequests: input.polls, usd: orchestrationUsd },
    trainingUsd,
    totalUsd,
    budgetUsd: input.budgetUsd,
    budgetExceeded: input.budgetUsd !== null && totalUsd > input.budgetUsd,
  };
};

/**
 * The poll-time ledger: the cost so far, and the projection to the next poll (the running job's rate x
 * `horizonSeconds`, the loop's next wait). `budgetExceeded` compares the projection with the budget.
 */
export const projectedLedger = (
  input: LedgerInput & { running: JobUsage | undefined; horizonSeconds: number },
  prices: PriceTable,
): CostLedger => {
  const ledger = costLedger({ ...input, jobs: input.running === undefined ? input.jobs : [...input.jobs, input.running] }, prices, 'poll');
  const rate =
    input.running === undefined ? 0 : (hourlyRate(input.running, prices) ?? 0) * (input.running.spot ? 1 - prices.spotSavingsAssumed : 1);
  const projectedUsd = roundUsd(ledger.totalUsd + (rate * Math.max(0, input.horizonSeconds)) / 3600);
  return { ...ledger, projectedUsd, budgetExceeded: input.budgetUsd !== null && projectedUsd > input.budgetUsd };
};

/** One line of text per ledger part, for the CLI's run summary. */
export const ledgerLines = (ledger: CostLedger): string[] => {
  const money = (value: number): string => `$${value.toFixed(4)}`;
  return [
    ...ledger.training.map(
      (line) =>
        `  ${line.jobName}: ${line.instanceType}${line.instanceCount > 1 ? ` x${line.instanceCount}` : ''}${line.spot ? ' spot' : ''}, ${line.billableSeconds} s billed (${line.billable}) of ${line.trainingSeconds} s` +
        `${line.spot ? ` (spot saving ${line.spotSavingsPercent}%)` : ''} x ${line.usdPerHour === null ? 'no price' : `${money(line.usdPerHour)}/h`} = ${money(line.usd)}`,
    ),
    `  textract: ${ledger.textract.pages} pages x ${money(ledger.textract.usdPerPage)} = ${money(ledger.textract.usd)}`,
    `  poll loop: ${ledger.orchestration.polls} polls, ${ledger.orchestration.transitions} transitions, ${ledger.orchestration.lambdaRequests} Lambda requests = ${money(ledger.orchestration.usd)}`,
    `  total: ${money(ledger.totalUsd)}${ledger.projectedUsd === undefined ? '' : ` (projected ${money(ledger.projectedUsd)})`}` +
      `${ledger.budgetUsd === null ? '' : ` of budget ${money(ledger.budgetUsd)}${ledger.budgetExceeded ? ': EXCEEDED' : ''}`} (${ledger.prices.region} list prices, ${ledger.prices.asOf})`,
  ];
};
