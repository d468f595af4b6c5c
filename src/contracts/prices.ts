/**
 * The price table the cost ledger (src/cost/ledger.ts) bills with: list prices in USD, us-east-1, as published
 * on the AWS pricing pages (the SageMaker rates are the repository's earlier 2026 table, the others
 * this file's orchestration prices; not re-read from the pages in this change, which had no network
 * access to them: check them before relying on a figure). Monthly free tiers and savings plans ignored. A stage
 * overrides any part of it with the `prices` setting (DOCTRAIN_PRICES, JSON), e.g. for another region.
 *
 * Sources:
 * - SageMaker training, on-demand, per instance-hour: https://aws.amazon.com/sagemaker/pricing/ (Training tab).
 *   Managed spot training bills BillableTimeInSeconds at these on-demand rates (the saving is the time
 *   not billed), so the table needs no spot rate; `spotSavingsAssumed` is used only while a spot job
 *   runs, because SageMaker reports BillableTimeInSeconds only once the job has ended.
 * - Textract: https://aws.amazon.com/textract/pricing/ (Detect Document Text API, first million pages a
 *   month: $1.50 per 1,000 pages, synchronous and asynchronous alike; the pipeline calls no other API).
 * - Step Functions Standard and Lambda: DEFAULT_ORCHESTRATION_PRICES below (used by src/polling/orchestration-cost.ts).
 */
import * as z from 'zod';

const usd = z.number().nonnegative();

/** What orchestrating a retrain costs: Step Functions Standard state transitions and Lambda (src/polling/orchestration-cost.ts). */
export const orchestrationPricesSchema = z.strictObject({
  /** Step Functions Standard: USD per state transition ($0.025 per 1,000). */
  stateTransitionUsd: z.number().nonnegative(),
  /** Lambda: USD per request ($0.20 per million). */
  lambdaRequestUsd: z.number().nonnegative(),
  /** Lambda on arm64 (serverless.yml's architecture): USD per GB-second ($0.0000133334). */
  lambdaGbSecondUsd: z.number().nonnegative(),
});
export type OrchestrationPrices = z.infer<typeof orchestrationPricesSchema>;

export const DEFAULT_ORCHESTRATION_PRICES: OrchestrationPrices = {
  stateTransitionUsd: 0.025 / 1000,
  lambdaRequestUsd: 0.2 / 1_000_000,
  lambdaGbSecondUsd: 0.0000133334,
};

export const priceTableSchema = z.strictObject({
  /** The region the prices are for (informational: the ledger does not check it against AWS_REGION). */
  region: z.string().min(1),
  /** When the prices were read off the pricing pages. */
  asOf: z.string().min(1),
  /** SageMaker training, on-demand USD per instance-hour, by instance type. */
  trainingUsdPerHour: z.record(z.string(), usd),
  /**
   * Share of a running spot job's training time assumed not billed, until SageMaker reports the job's
   * BillableTimeInSeconds (at its end). 0, the default, never under-counts a budget.
   */
  spotSavingsAssumed: z.number().min(0).max(0.9),
  /** Textract USD per page billed (DetectDocumentText / StartDocumentTextDetection). */
  textractUsdPerPage: usd,
  orchestration: orchestrationPricesSchema,
});
export type PriceTable = z.infer<typeof priceTableSchema>;

export const DEFAULT_PRICE_TABLE: PriceTable = {
  region: 'us-east-1',
  asOf: '2026',
  trainingUsdPerHour: {
    'ml.g5.xlarge': 1.408,
    'ml.g5.2xlarge': 1.515,
    'ml.g5.4xlarge': 2.03,
    'ml.g5.8xlarge': 3.06,
    'ml.g5.12xlarge': 7.09,
    'ml.g5.16xlarge': 6.12,
    'ml.g5.24xlarge': 10.18,
    'ml.g5.48xlarge': 20.36,
  },
  spotSavingsAssumed: 0,
  textractUsdPerPage: 1.5 / 1000,
  orchestration: DEFAULT_ORCHESTRATION_PRICES,
};

/** What the `prices` setting may say: any top-level part; instance prices and orchestration prices merge key by key. */
export const priceOverridesSchema = z.strictObject({
  region: z.string().min(1).optional(),
  asOf: z.string().min(1).optional(),
  trainingUsdPerHour: z.record(z.string(), usd).optional(),
  spotSavingsAssumed: priceTableSchema.shape.spotSavingsAssumed.optional(),
  textractUsdPerPage: usd.optional(),
  orchestration: orchestrationPricesSchema.partial().optional(),
});
export type PriceOverrides = z.infer<typeof priceOverridesSchema>;

/** The default table with the overrides applied (each instance type and orchestration price on its own). */
export const priceTable = (overrides: PriceOverrides | undefined): PriceTable => {
  const { trainingUsdPerHour, orchestration, ...rest } = overrides ?? {};
  return priceTableSchema.parse({
    ...DEFAULT_PRICE_TABLE,
    ...rest,
    trainingUsdPerHour: { ...DEFAULT_PRICE_TABLE.trainingUsdPerHour, ...trainingUsdPerHour },
    orchestration: { ...DEFAULT_PRICE_TABLE.orchestration, ...orchestration },
  });
};

/** The `prices` setting as the environment holds it: '' or absent = the defaults, else JSON overrides. */
export const envPriceOverridesSchema = z.preprocess((value, ctx) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'JSON price overrides, e.g. {"trainingUsdPerHour":{"ml.g5.xlarge":1.624}}' });
    return z.NEVER;
  }
}, priceOverridesSchema.optional());
