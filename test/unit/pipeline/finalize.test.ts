import { DescribeTrainingJobCommand, SageMakerClient, type DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ON_DEMAND_PRICE_PER_HOUR } from '../../../src/config/run-config';
import { finalMetrics, finalizeRun, trainingCost } from '../../../src/pipeline/finalize';
import type { RunStore, StatusChange } from '../../../src/status/run-store';

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

describe('trainingCost', () => {
  it('bills the billable seconds at the on-demand rate and reports the spot savings', () => {
    // Act
    const cost = trainingCost(job());
    // Assess
    expect(cost.trainingSeconds).toBe(3600);
    expect(cost.billableSeconds).toBe(1200);
    expect(cost.spotSavingsPercent).toBe(66.7);
    expect(cost.costEstimateUsd).toBeCloseTo((1200 / 3600) * (ON_DEMAND_PRICE_PER_HOUR['ml.g5.xlarge'] ?? NaN), 4);
  });

  it('treats a job without billable time as billed in full (on-demand: no savings)', () => {
    // Act
    const cost = trainingCost(job({ BillableTimeInSeconds: undefined, EnableManagedSpotTraining: false }));
    // Assess
    expect(cost.billableSeconds).toBe(3600);
    expect(cost.spotSavingsPercent).toBe(0);
    expect(cost.costEstimateUsd).toBeCloseTo(ON_DEMAND_PRICE_PER_HOUR['ml.g5.xlarge'] ?? NaN, 4);
  });

  it('multiplies by the instance count', () => {
    // Act
    const one = trainingCost(job({ ResourceConfig: { InstanceType: 'ml.g5.12xlarge', InstanceCount: 1, VolumeSizeInGB: 30 } }));
    const two = trainingCost(job({ ResourceConfig: { InstanceType: 'ml.g5.12xlarge', InstanceCount: 2, VolumeSizeInGB: 30 } }));
    // Assess
    expect(two.costEstimateUsd).toBeCloseTo(one.costEstimateUsd * 2, 3);
  });

  it('gives zeros (not NaN) for a job that never trained or an unpriced instance type', () => {
    // Act
    const never = trainingCost(job({ TrainingTimeInSeconds: undefined, BillableTimeInSeconds: undefined }));
    const unpriced = trainingCost(job({ ResourceConfig: { InstanceType: 'ml.p3.2xlarge', InstanceCount: 1, VolumeSizeInGB: 30 } }));
    // Assess
    expect(never).toEqual({ billableSeconds: 0, trainingSeconds: 0, spotSavingsPercent: 0, costEstimateUsd: 0 });
    expect(unpriced.costEstimateUsd).toBe(0);
    expect(unpriced.spotSavingsPercent).toBe(66.7);
  });
});

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
    const store = { writeStatusChange: (change: StatusChange) => Promise.resolve(void changes.push(change)), getRun: () => Promise.resolve(undefined) } as unknown as RunStore;
    return { changes, deps: { sagemaker: new SageMakerClient({ region: 'us-east-1' }), store, now: () => new Date('2026-03-14T10:00:00Z') } };
  };

  it('records COMPLETED with metrics, artifact and cost for a completed job', async () => {
    // Prepare
    sagemaker.on(DescribeTrainingJobCommand, { TrainingJobName: 'doctrain-r1-a1' }).resolves(job());
    const { changes, deps: d } = deps();
    // Act
    const outcome = await finalizeRun(d, { runId: 'r1', executionName: 'exec-1', trainingJobName: 'doctrain-r1-a1', datasetFingerprint: 'fp' });
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
      status: 'COMPLETED',
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
    sagemaker.on(DescribeTrainingJobCommand).resolves(
      job({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: hyperparameter epochs=0 must be between 1 and 100000' }),
    );
    const { changes, deps: d } = deps();
    // Act
    const outcome = await finalizeRun(d, { runId: 'r1', executionName: 'exec-1', trainingJobName: 'doctrain-r1-a1' });
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
    const outcome = await finalizeRun(d, { runId: 'r1', executionName: 'exec-1', trainingJobName: 'doctrain-r1-a1' });
    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', failureReason: 'Training job doctrain-r1-a1 ended Stopped' });
  });
});
