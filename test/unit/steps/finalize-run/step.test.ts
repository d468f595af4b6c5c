import { DescribeTrainingJobCommand, SageMakerClient, type DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { costLedger } from '../../../../src/cost/ledger';
import { DEFAULT_PRICE_TABLE } from '../../../../src/contracts/prices';
import { finalMetrics, finalizeRun } from '../../../../src/steps/finalize-run/step';
import type { RunStore, StatusChange } from '../../../../src/status/run-store';

const job = (overrides: Partial<DescribeTrainingJobResponse> = {}): DescribeTrainingJobResponse =>
  ({
    TrainingJobName: 'doctrain-r1-a1',
    TrainingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/doctrain-r1-a1',
    TrainingJobStatus: 'Completed',
    SecondaryStatus: 'Completed',
    ResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    EnableManagedSpotTraining: true,
    TrainingTimeInSeconds: 3600,
    BillableTimeInSeconds: 1200,
    FinalMetricDataList: [
      { MetricName: 'val_f1', Value: 0.895, Timestamp: new Date() },
      { MetricName: 'val_loss', Value: 0.3011, Timestamp: new Date() },
    ],
    ModelArtifacts: { S3ModelArtifacts: 's3://bucket/models/receipts/doctrain-r1-a1/output/model.tar.gz' },
    ...overrides,
  }) as DescribeTrainingJobResponse;

describe('finalMetrics', () => {
  it('maps the final metric list by name, skipping incomplete entries', () => {
    // Act
    const metrics = finalMetrics(
      job({
        FinalMetricDataList: [
          { MetricName: 'val_f1', Value: 0.9 },
          { MetricName: 'train_loss', Value: 0 },
          { MetricName: 'val_recall' },
          { Value: 1 },
        ],
      }),
    );
    // Assess
    expect(metrics).toEqual({ val_f1: 0.9, train_loss: 0 });
  });

  it('is empty without metrics', () => {
    expect(finalMetrics(job({ FinalMetricDataList: undefined }))).toEqual({});
  });
});

describe('finalizeRun', () => {
  const sagemaker = mockClient(SageMakerClient);
  afterEach(() => sagemaker.reset());
  const deps = () => {
    const changes: StatusChange[] = [];
    const store = {
      writeStatusChange: (change: StatusChange) => Promise.resolve(void changes.push(change)),
      getRun: () => Promise.resolve(undefined),
    } as unknown as RunStore;
    return {
      changes,
      deps: { sagemaker: new SageMakerClient({ region: 'us-east-1' }), store, now: () => new Date('2026-03-14T10:00:00Z') },
    };
  };
  /** deps() whose store holds this run record. */
  const depsWith = (run: Record<string, unknown>) => {
    const made = deps();
    return { ...made, deps: { ...made.deps, store: Object.assign(made.deps.store, { getRun: () => Promise.resolve(run) }) } };
  };
  /** The ledger PollTraining left on the run record at its last poll. */
  const pollLedger = (budgetUsd: number | null, budgetExceeded: boolean) => ({
    ...costLedger(
      {
        jobs: [{ jobName: 'doctrain-r1-a1', instanceType: 'ml.g5.xlarge', spot: true, trainingSeconds: 1800 }],
        textractPages: 40,
        polls: 12,
        budgetUsd,
        at: '2026-03-14T09:59:00Z',
      },
      DEFAULT_PRICE_TABLE,
      'poll',
    ),
    projectedUsd: 0.9,
    budgetExceeded,
  });

  it('records a completed job (EVALUATING until PromoteModel decides) with metrics, artifact and cost; its outcome is COMPLETED', async () => {
    // Prepare
    sagemaker.on(DescribeTrainingJobCommand, { TrainingJobName: 'doctrain-r1-a1' }).resolves(job());
    const { changes, deps: d } = deps();
    // Act
    const outcome = await finalizeRun(d, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      datasetFingerprint: 'fp',
      prices: DEFAULT_PRICE_TABLE,
    });
    // Assess
    expect(outcome).toEqual({
      status: 'COMPLETED',
      trainingJobStatus: 'Completed',
      metrics: { val_f1: 0.895, val_loss: 0.3011 },
      modelArtifactUri: 's3://bucket/models/receipts/doctrain-r1-a1/output/model.tar.gz',
    });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      runId: 'r1',
      executionName: 'exec-1',
      status: 'EVALUATING',
      at: '2026-03-14T10:00:00.000Z',
      attributes: {
        trainingJobName: 'doctrain-r1-a1',
        instanceType: 'ml.g5.xlarge',
        spot: true,
        billableSeconds: 1200,
        spotSavingsPercent: 66.7,
        failure: undefined,
      },
    });
  });

  it('records FAILED with the job failure reason and no artifact', async () => {
    // Prepare
    sagemaker
      .on(DescribeTrainingJobCommand)
      .resolves(
        job({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: hyperparameter epochs=0 must be between 1 and 100000' }),
      );
    const { changes, deps: d } = deps();
    // Act
    const outcome = await finalizeRun(d, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      prices: DEFAULT_PRICE_TABLE,
    });
    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.failureReason).toContain('AlgorithmError');
    expect(outcome).not.toHaveProperty('modelArtifactUri');
    expect(changes[0]?.attributes?.['failure']).toEqual({
      error: 'TrainingJobFailed',
      message: 'AlgorithmError: hyperparameter epochs=0 must be between 1 and 100000',
    });
  });

  it('explains a Stopped job without a failure reason', async () => {
    // Prepare
    sagemaker.on(DescribeTrainingJobCommand).resolves(job({ TrainingJobStatus: 'Stopped', FailureReason: undefined }));
    const { deps: d } = deps();
    // Act
    const outcome = await finalizeRun(d, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      prices: DEFAULT_PRICE_TABLE,
    });
    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', failureReason: 'Training job doctrain-r1-a1 ended Stopped' });
  });

  it("records the final ledger: reported billable time, the poll ledger's Textract pages and polls, the total", async () => {
    // Prepare
    sagemaker.on(DescribeTrainingJobCommand).resolves(job());
    const { changes, deps: d } = depsWith({ runId: 'r1', status: 'TRAINING', cost: pollLedger(null, false) });
    // Act
    await finalizeRun(d, { runId: 'r1', executionName: 'exec-1', trainingJobName: 'doctrain-r1-a1', prices: DEFAULT_PRICE_TABLE });
    // Assess: 1,200 s billed of 3,600 at $1.408/h, 40 pages at $0.0015, 12 polls x (3 transitions + 1 request)
    const cost = changes[0]?.attributes?.['cost'] as ReturnType<typeof costLedger>;
    expect(cost).toMatchObject({ stage: 'final', budgetUsd: null, budgetExceeded: false, textract: { pages: 40, usd: 0.06 } });
    expect(cost.training).toEqual([
      expect.objectContaining({ billable: 'reported', billableSeconds: 1200, trainingSeconds: 3600, spotSavingsPercent: 66.7 }),
    ]);
    expect(cost.training[0]?.usd).toBeCloseTo((1200 / 3600) * 1.408, 6);
    expect(cost.orchestration).toEqual({
      polls: 12,
      transitions: 36,
      lambdaRequests: 12,
      usd: expect.closeTo(36 * 0.000025 + 12 * 0.0000002, 8) as number,
    });
    expect(cost.totalUsd).toBeCloseTo(cost.trainingUsd + 0.06 + cost.orchestration.usd, 6);
  });

  /** What the poll that decided the budget stop wrote on the run record. */
  const budgetStop = { at: '2026-03-14T09:50:00Z', projectedUsd: 0.62, spentUsd: 0.45, budgetUsd: 0.5 };

  it('records BUDGET_EXCEEDED for a job the poll loop stopped over budget, and STOPPED for a stop request', async () => {
    // Prepare: the last poll (job Stopped, nothing more to project) was back under the budget: the decision still holds.
    sagemaker.on(DescribeTrainingJobCommand).resolves(job({ TrainingJobStatus: 'Stopped', FailureReason: undefined }));
    const overBudget = depsWith({ runId: 'r1', status: 'TRAINING', cost: pollLedger(0.5, false), budgetStop });
    const requested = depsWith({
      runId: 'r1',
      status: 'TRAINING',
      cost: pollLedger(0.5, true),
      budgetStop,
      stopRequested: { at: '2026-03-14T09:58:00Z', by: 'me' },
    });
    const noDecision = depsWith({ runId: 'r1', status: 'TRAINING', cost: pollLedger(0.5, true) });
    // Act
    const budget = await finalizeRun(overBudget.deps, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      prices: DEFAULT_PRICE_TABLE,
    });
    const stopped = await finalizeRun(requested.deps, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      prices: DEFAULT_PRICE_TABLE,
    });
    const other = await finalizeRun(noDecision.deps, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      prices: DEFAULT_PRICE_TABLE,
    });
    // Assess
    expect(budget).toMatchObject({
      status: 'BUDGET_EXCEEDED',
      failureReason: expect.stringContaining("projected cost $0.6200 passed the run's budget of $0.50") as string,
    });
    expect(other.status).toBe('FAILED');
    expect(overBudget.changes[0]).toMatchObject({
      status: 'BUDGET_EXCEEDED',
      attributes: { failure: { error: 'BudgetExceeded' }, cost: { budgetUsd: 0.5, stage: 'final' } },
    });
    expect(stopped.status).toBe('STOPPED');
  });

  it('records COMPLETED for a job that completed even though the loop had asked it to stop for the budget', async () => {
    // Prepare
    sagemaker.on(DescribeTrainingJobCommand).resolves(job());
    const { deps: d } = depsWith({ runId: 'r1', status: 'TRAINING', cost: pollLedger(0.5, true), budgetStop });
    // Act
    const outcome = await finalizeRun(d, {
      runId: 'r1',
      executionName: 'exec-1',
      trainingJobName: 'doctrain-r1-a1',
      prices: DEFAULT_PRICE_TABLE,
    });
    // Assess
    expect(outcome.status).toBe('COMPLETED');
  });
});
