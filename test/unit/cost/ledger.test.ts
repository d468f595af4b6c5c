import { describe, expect, it } from 'vitest';
import type { DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { costLedgerSchema } from '../../../src/contracts/cost-ledger';
import type { AttemptRecord } from '../../../src/contracts/training-config';
import { costLedger, earlierJobs, jobUsage, ledgerLines, projectedLedger, trainingLine, type JobUsage } from '../../../src/cost/ledger';
import { DEFAULT_PRICE_TABLE, envPriceOverridesSchema, priceTable } from '../../../src/contracts/prices';
import { deploymentSettingsSchema } from '../../../src/contracts/settings';

const XLARGE = 1.408;
const job = (overrides: Partial<JobUsage> = {}): JobUsage => ({
  jobName: 'doctrain-r1-a1',
  instanceType: 'ml.g5.xlarge',
  spot: true,
  trainingSeconds: 3600,
  billableSeconds: 1200,
  ...overrides,
});
const at = '2026-03-14T10:00:00.000Z';

describe('trainingLine', () => {
  it('bills the reported billable seconds at the on-demand rate and reports the spot saving', () => {
    // Act
    const line = trainingLine(job(), DEFAULT_PRICE_TABLE);
    // Assess
    expect(line).toMatchObject({
      billable: 'reported',
      billableSeconds: 1200,
      trainingSeconds: 3600,
      spotSavingsPercent: 66.7,
      usdPerHour: XLARGE,
    });
    expect(line.usd).toBeCloseTo((1200 / 3600) * XLARGE, 8);
  });

  it("estimates a running job's billable time: all of it on-demand; spot less the assumed saving", () => {
    // Prepare
    const assumed = priceTable({ spotSavingsAssumed: 0.6 });
    // Act
    const onDemand = trainingLine(job({ spot: false, billableSeconds: undefined }), assumed);
    const spotDefault = trainingLine(job({ billableSeconds: undefined }), DEFAULT_PRICE_TABLE);
    const spotAssumed = trainingLine(job({ billableSeconds: undefined }), assumed);
    // Assess
    expect(onDemand).toMatchObject({ billable: 'estimated', billableSeconds: 3600, spotSavingsPercent: 0 });
    expect(onDemand.usd).toBeCloseTo(XLARGE, 8);
    expect(spotDefault.billableSeconds).toBe(3600);
    expect(spotAssumed).toMatchObject({ billable: 'estimated', billableSeconds: 1440, spotSavingsPercent: 60 });
  });

  it('multiplies by the instance count, and gives 0 (not NaN) for a job that never trained or an unpriced type', () => {
    // Act
    const two = trainingLine(job({ instanceType: 'ml.g5.12xlarge', instanceCount: 2 }), DEFAULT_PRICE_TABLE);
    const never = trainingLine(job({ trainingSeconds: 0, billableSeconds: undefined }), DEFAULT_PRICE_TABLE);
    const unpriced = trainingLine(job({ instanceType: 'ml.p3.2xlarge' }), DEFAULT_PRICE_TABLE);
    // Assess
    expect(two.usd).toBeCloseTo(2 * (1200 / 3600) * 7.09, 8);
    expect(never).toMatchObject({ usd: 0, billableSeconds: 0, spotSavingsPercent: 0 });
    expect(unpriced).toMatchObject({ usd: 0, usdPerHour: null, spotSavingsPercent: 66.7 });
  });
});

describe('costLedger', () => {
  it('itemises every attempt, Textract pages and the poll loop, and totals them', () => {
    // Prepare: a capacity fallback: a spot attempt that ran 30 min (billed 20), then an on-demand one.
    const jobs = [
      job({ jobName: 'doctrain-r1-a1', trainingSeconds: 1800, billableSeconds: 1200 }),
      job({ jobName: 'doctrain-r1-a2', instanceType: 'ml.g5.2xlarge', spot: false, trainingSeconds: 7200, billableSeconds: 7200 }),
    ];
    // Act
    const ledger = costLedger({ jobs, textractPages: 626, polls: 40, budgetUsd: null, at }, DEFAULT_PRICE_TABLE);
    // Assess
    const training = (1200 / 3600) * XLARGE + 2 * 1.515;
    const textract = 626 * 0.0015;
    const orchestration = 40 * 3 * 0.000025 + 40 * 0.0000002;
    expect(ledger.training.map((line) => [line.jobName, line.usd])).toEqual([
      ['doctrain-r1-a1', expect.closeTo((1200 / 3600) * XLARGE, 8)],
      ['doctrain-r1-a2', expect.closeTo(2 * 1.515, 8)],
    ]);
    expect(ledger.textract).toEqual({ pages: 626, usdPerPage: 0.0015, usd: expect.closeTo(textract, 8) as number });
    expect(ledger.orchestration).toEqual({
      polls: 40,
      transitions: 120,
      lambdaRequests: 40,
      usd: expect.closeTo(orchestration, 8) as number,
    });
    expect(ledger.trainingUsd).toBeCloseTo(training, 6);
    expect(ledger.totalUsd).toBeCloseTo(training + textract + orchestration, 6);
    expect(ledger).toMatchObject({
      currency: 'USD',
      stage: 'final',
      budgetUsd: null,
      budgetExceeded: false,
      prices: { region: 'us-east-1' },
    });
    expect(costLedgerSchema.parse(ledger)).toEqual(ledger);
  });

  it('is over budget only when the total passes it', () => {
    // Prepare
    const input = { jobs: [job({ spot: false, billableSeconds: 3600 })], textractPages: 0, polls: 0, at };
    // Act
    const under = costLedger({ ...input, budgetUsd: XLARGE }, DEFAULT_PRICE_TABLE);
    const over = costLedger({ ...input, budgetUsd: XLARGE - 0.01 }, DEFAULT_PRICE_TABLE);
    // Assess
    expect(under.budgetExceeded).toBe(false);
    expect(over.budgetExceeded).toBe(true);
  });
});

describe('projectedLedger (the budget rule at a poll)', () => {
  const running = job({ spot: false, trainingSeconds: 1800, billableSeconds: undefined });
  const input = { jobs: [], running, textractPages: 100, polls: 10, at };

  it("projects the cost so far plus the running job's rate until the next poll, and stops past the budget", () => {
    // Prepare: spent 0.5 h x $1.408 + 100 pages; the next wait is 600 s (another $0.2347)
    const spent = 0.5 * XLARGE + 0.15 + 10 * (3 * 0.000025 + 0.0000002);
    // Act
    const within = projectedLedger({ ...input, horizonSeconds: 600, budgetUsd: spent + 0.25 }, DEFAULT_PRICE_TABLE);
    const past = projectedLedger({ ...input, horizonSeconds: 600, budgetUsd: spent + 0.2 }, DEFAULT_PRICE_TABLE);
    // Assess
    expect(within).toMatchObject({ stage: 'poll', budgetExceeded: false });
    expect(within.totalUsd).toBeCloseTo(spent, 6);
    expect(within.projectedUsd).toBeCloseTo(spent + (600 / 3600) * XLARGE, 6);
    expect(past.budgetExceeded).toBe(true);
    expect(past.totalUsd).toBeLessThan(spent + 0.2);
  });

  it('never exceeds without a budget, and adds nothing for a job that has ended', () => {
    // Act
    const none = projectedLedger({ ...input, horizonSeconds: 600, budgetUsd: null }, DEFAULT_PRICE_TABLE);
    const ended = projectedLedger({ ...input, running: undefined, horizonSeconds: 600, budgetUsd: 1 }, DEFAULT_PRICE_TABLE);
    // Assess
    expect(none.budgetExceeded).toBe(false);
    expect(ended.projectedUsd).toBe(ended.totalUsd);
  });
});

describe('jobUsage and earlierJobs', () => {
  it("reads DescribeTrainingJob: the running job's training time so far, the ended job's reported times", () => {
    // Prepare
    const now = new Date('2026-03-14T10:00:00Z');
    const describe = {
      TrainingJobName: 'doctrain-r1-a1',
      ResourceConfig: { InstanceType: 'ml.g5.2xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      EnableManagedSpotTraining: true,
      TrainingStartTime: new Date('2026-03-14T09:15:00Z'),
    } as DescribeTrainingJobResponse;
    // Act
    const runningJob = jobUsage(describe, now);
    const endedJob = jobUsage({ ...describe, TrainingTimeInSeconds: 3000, BillableTimeInSeconds: 900 }, now);
    // Assess
    expect(runningJob).toEqual({
      jobName: 'doctrain-r1-a1',
      instanceType: 'ml.g5.2xlarge',
      instanceCount: 1,
      spot: true,
      trainingSeconds: 2700,
      billableSeconds: undefined,
    });
    expect(endedJob).toMatchObject({ trainingSeconds: 3000, billableSeconds: 900 });
  });

  it("takes the run record's other attempts that ran a job, and none when the record has none", () => {
    // Prepare
    const attempts: AttemptRecord[] = [
      {
        attempt: 1,
        jobName: 'doctrain-r1-a1',
        instanceType: 'ml.g5.xlarge',
        spot: true,
        status: 'CreateFailed',
        failureReason: 'ResourceLimitExceeded',
      },
      {
        attempt: 2,
        jobName: 'doctrain-r1-a2',
        instanceType: 'ml.g5.2xlarge',
        spot: true,
        status: 'Failed',
        billableSeconds: 500,
        trainingSeconds: 800,
      },
      { attempt: 3, jobName: 'doctrain-r1-a3', instanceType: 'ml.g5.xlarge', spot: false, status: 'InProgress' },
    ];
    // Act
    const jobs = earlierJobs(attempts, 'doctrain-r1-a3');
    // Assess
    expect(jobs).toEqual([
      { jobName: 'doctrain-r1-a2', instanceType: 'ml.g5.2xlarge', spot: true, trainingSeconds: 800, billableSeconds: 500 },
    ]);
    expect(earlierJobs(undefined, 'y')).toEqual([]);
  });
});

describe('the price table setting', () => {
  it('merges JSON overrides key by key over the defaults', () => {
    // Act
    const prices = priceTable(
      envPriceOverridesSchema.parse(
        '{"region":"eu-west-1","trainingUsdPerHour":{"ml.g5.xlarge":1.58},"orchestration":{"lambdaRequestUsd":0}}',
      ),
    );
    // Assess
    expect(prices.region).toBe('eu-west-1');
    expect(prices.trainingUsdPerHour['ml.g5.xlarge']).toBe(1.58);
    expect(prices.trainingUsdPerHour['ml.g5.2xlarge']).toBe(DEFAULT_PRICE_TABLE.trainingUsdPerHour['ml.g5.2xlarge']);
    expect(prices.orchestration).toEqual({ ...DEFAULT_PRICE_TABLE.orchestration, lambdaRequestUsd: 0 });
    expect(priceTable(envPriceOverridesSchema.parse(''))).toEqual(DEFAULT_PRICE_TABLE);
  });

  it('rejects bad JSON, unknown keys and negative prices, naming the setting', () => {
    // Prepare
    const env = {
      DOCTRAIN_BUCKET: 'bkt',
      DOCTRAIN_TABLE: 'tbl',
      DOCTRAIN_TRAINING_IMAGE: 'img',
      DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/r',
      DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
    };
    // Act
    const bad = ['{not json', '{"trainingUsdPerHour":{"ml.g5.xlarge":-1}}', '{"currency":"EUR"}'].map(
      (DOCTRAIN_PRICES) => deploymentSettingsSchema.safeParse({ ...env, DOCTRAIN_PRICES }).error?.issues[0]?.path,
    );
    const budget = deploymentSettingsSchema.parse({ ...env, DOCTRAIN_BUDGET_USD: '12.5' }).DOCTRAIN_BUDGET_USD;
    // Assess
    expect(bad.map((path) => path?.[0])).toEqual(['DOCTRAIN_PRICES', 'DOCTRAIN_PRICES', 'DOCTRAIN_PRICES']);
    expect(budget).toBe(12.5);
  });
});

describe('ledgerLines', () => {
  it('prints one line per attempt, Textract, the poll loop and the total against the budget', () => {
    // Act
    const lines = ledgerLines(
      projectedLedger(
        { jobs: [], running: job({ billableSeconds: undefined }), textractPages: 10, polls: 2, horizonSeconds: 60, budgetUsd: 1, at },
        DEFAULT_PRICE_TABLE,
      ),
    );
    // Assess
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('doctrain-r1-a1: ml.g5.xlarge spot, 3600 s billed (estimated)');
    expect(lines[3]).toMatch(/total: \$1\.4\d+ \(projected \$1\.4\d+\) of budget \$1\.0000: EXCEEDED/);
  });
});
