/** The run's cost ledger (the run record's `cost`) and its budget stop (`budgetStop`), as src/cost/ledger.ts writes them. */
import * as z from 'zod';

const usd = z.number().nonnegative();
const seconds = z.number().int().min(0);

/** One training attempt's line of the ledger. */
export const trainingLineSchema = z.strictObject({
  jobName: z.string().min(1),
  instanceType: z.string().min(1),
  instanceCount: z.number().int().min(1),
  spot: z.boolean(),
  trainingSeconds: seconds,
  billableSeconds: seconds,
  /** `reported`: SageMaker's BillableTimeInSeconds (the job ended); `estimated`: a running job's time so far. */
  billable: z.enum(['reported', 'estimated']),
  /** On-demand USD per instance-hour from the price table; null when the table has no price for the type. */
  usdPerHour: usd.nullable(),
  usd,
  /** The share of training time not billed, in percent (managed spot), as SageMaker's figures give it. */
  spotSavingsPercent: z.number(),
});
export type TrainingLine = z.infer<typeof trainingLineSchema>;

/** The `cost` attribute of the run record. */
export const costLedgerSchema = z.strictObject({
  currency: z.literal('USD'),
  /** `poll`: written while training (totals so far); `final`: FinalizeRun's, with reported billable times. */
  stage: z.enum(['poll', 'final']),
  at: z.string().min(1),
  prices: z.strictObject({ region: z.string(), asOf: z.string() }),
  training: z.array(trainingLineSchema),
  textract: z.strictObject({ pages: seconds, usdPerPage: usd, usd }),
  orchestration: z.strictObject({ polls: seconds, transitions: seconds, lambdaRequests: seconds, usd }),
  trainingUsd: usd,
  totalUsd: usd,
  /** The poll-time projection (cost so far + the current job's rate until the next poll); absent on a final ledger. */
  projectedUsd: usd.optional(),
  budgetUsd: usd.nullable(),
  budgetExceeded: z.boolean(),
});
export type CostLedger = z.infer<typeof costLedgerSchema>;

/**
 * `budgetStop` on the run record: written once, by the poll that decided to stop the job for the budget.
 * The decision is kept here, not re-derived from later ledgers: once the job stops, the projection
 * (horizon 0 for an ended job) may fall back under the budget, and the run must still end BUDGET_EXCEEDED.
 */
export const budgetStopSchema = z.strictObject({ at: z.string().min(1), projectedUsd: usd, spentUsd: usd, budgetUsd: usd });
export type BudgetStop = z.infer<typeof budgetStopSchema>;
