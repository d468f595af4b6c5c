/**
 * Pre-flight and capacity fallback on the embedded local runtime (issue 8): the real ASL and handlers
 * against the local ECR, Service Quotas and SageMaker, whose knobs rehearse a missing image, a zero quota,
 * capacity refusals at create time, capacity failures mid-job and a lost CreateTrainingJob response.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTrainingJobCommand, ListTrainingJobsCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, uploadSyntheticReceipts, type LocalPipeline } from '../../local/pipeline';
import { trainingQuotaName } from '../../src/steps/preflight/step';
import { costLedgerSchema } from '../../src/contracts/cost-ledger';
import { strictRunRecordSchema } from '../../src/contracts/run-record';

const root = path.resolve(import.meta.dirname, '../..');
const SMALL_TRAINING = { epochs: 1, hidden_size: 32, num_layers: 1, num_heads: 2 };

let pipeline: LocalPipeline;
let dataDir: string;

const jobsOf = async (runId: string): Promise<string[]> =>
  (
    (await pipeline.services.clients.sagemaker.send(new ListTrainingJobsCommand({ NameContains: runId, MaxResults: 100 })))
      .TrainingJobSummaries ?? []
  )
    .map((job) => job.TrainingJobName ?? '')
    .sort();

const describeJob = (name: string) => pipeline.services.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-preflight-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', waitMs: 250, retryTimeScale: 0.01 });
  await uploadSyntheticReceipts(pipeline.services.clients.s3, pipeline.services.bucket, { count: 6, seed: 23 });
});

afterEach(() => {
  pipeline.services.setSageMakerFaults({});
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('pre-flight on the local runtime', () => {
  it('fails a run whose training image is not in ECR before any OCR, naming the push commands', async () => {
    // Prepare: the repository is empty, as after a fresh `sls deploy`.
    const runId = 'pf-no-image';
    const [image] = pipeline.services.ecr.images();
    if (image === undefined) throw new Error('the local stack pushes the training image at start');
    pipeline.services.ecr.deleteImage(image.repository, image.tag);
    const textractBefore = pipeline.services.textractStats().requests;
    try {
      // Act
      const outcome = await pipeline.execute({ runId }, { executionName: runId });
      // Assess
      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('TrainingImageNotFoundError');
      expect(outcome.cause).toContain(`docker tag doctrain-trainer ${image.repository}:${image.tag}`);
      expect(outcome.cause).toContain(`docker push ${image.repository}:${image.tag}`);
      expect(pipeline.services.textractStats().requests).toBe(textractBefore);
      expect(outcome.events.some((e) => e.stateName === 'OcrDocuments' || e.stateName === 'PlanBatches')).toBe(false);
      const { record } = await pipeline.runRecord(runId);
      expect(record?.status).toBe('FAILED');
      expect(record?.failure).toMatchObject({ error: 'TrainingImageNotFoundError' });
      expect(await jobsOf(runId)).toEqual([]);
    } finally {
      pipeline.services.ecr.putImage(image);
    }
  });

  it('fails a run whose every plan entry has 0 quota before any OCR, naming the quota request command', async () => {
    // Prepare: a new account's zero spot quota for the only plan entry.
    const runId = 'pf-zero-quota';
    const quota = trainingQuotaName({ instanceType: 'ml.g5.xlarge', spot: true });
    pipeline.services.serviceQuotas.setQuota(quota, 0);
    const textractBefore = pipeline.services.textractStats().requests;
    try {
      // Act
      const outcome = await pipeline.execute({ runId, training: { instanceFallbacks: [] } }, { executionName: runId });
      // Assess
      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('InstanceQuotaError');
      expect(outcome.cause).toMatch(
        /aws service-quotas request-service-quota-increase --service-code sagemaker --quota-code L-[0-9A-F]{8} --desired-value 1 --region us-east-1/,
      );
      expect(pipeline.services.textractStats().requests).toBe(textractBefore);
      const { record } = await pipeline.runRecord(runId);
      expect(record?.status).toBe('FAILED');
      expect(record?.failure).toMatchObject({ error: 'InstanceQuotaError' });
      expect(await jobsOf(runId)).toEqual([]);
    } finally {
      pipeline.services.serviceQuotas.setQuota(quota, 1);
    }
  });
});

describe('capacity fallback on the local runtime', () => {
  it('moves to the next plan entry after a create-time refusal and a mid-job capacity failure, recording every attempt', async () => {
    // Prepare: the default plan, ml.g5.xlarge spot -> ml.g5.2xlarge spot -> ml.g5.xlarge on-demand. The first
    // create is refused (ResourceLimitExceeded), the second job fails with a CapacityError, the third trains.
    const runId = 'cap-fallback';
    pipeline.services.setSageMakerFaults({ createCapacityErrors: { 'ml.g5.xlarge': 1 }, capacityErrors: { 'ml.g5.2xlarge': 1 } });
    // Act
    const outcome = await pipeline.execute({ runId, training: { hyperparameters: SMALL_TRAINING } }, { executionName: runId });
    // Assess: the run
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { record } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.trainingJobName).toBe(`doctrain-${runId}-a3`);
    expect(record?.instanceType).toBe('ml.g5.xlarge');
    expect(record?.spot).toBe(false);
    // Assess: every attempt on the record
    const attempts = record?.attempts as Record<string, unknown>[];
    expect(attempts.map(({ attempt, jobName, instanceType, spot, status }) => ({ attempt, jobName, instanceType, spot, status }))).toEqual([
      { attempt: 1, jobName: `doctrain-${runId}-a1`, instanceType: 'ml.g5.xlarge', spot: true, status: 'CreateFailed' },
      { attempt: 2, jobName: `doctrain-${runId}-a2`, instanceType: 'ml.g5.2xlarge', spot: true, status: 'Failed' },
      { attempt: 3, jobName: `doctrain-${runId}-a3`, instanceType: 'ml.g5.xlarge', spot: false, status: 'Completed' },
    ]);
    expect(attempts[0]?.['failureReason']).toContain('ResourceLimitExceeded');
    expect(attempts[1]?.['failureReason']).toMatch(/^CapacityError/);
    expect(attempts[2]?.['billableSeconds']).toBeGreaterThan(0);
    // Assess: the cost ledger bills the jobs that ran (a1 never did), the last at its reported billable time, on-demand.
    const cost = costLedgerSchema.parse(record?.cost);
    expect(cost.stage).toBe('final');
    expect(cost.training.map((line) => line.jobName).every((name) => [`doctrain-${runId}-a2`, `doctrain-${runId}-a3`].includes(name))).toBe(
      true,
    );
    expect(cost.training.at(-1)).toMatchObject({
      jobName: `doctrain-${runId}-a3`,
      instanceType: 'ml.g5.xlarge',
      spot: false,
      billable: 'reported',
      billableSeconds: attempts[2]?.['billableSeconds'],
    });
    expect(cost.totalUsd).toBeCloseTo(cost.trainingUsd + cost.textract.usd + cost.orchestration.usd, 6);
    // Assess: the jobs: a1 never existed; a2 and a3 share the checkpoint URI and run the pinned image.
    expect(await jobsOf(runId)).toEqual([`doctrain-${runId}-a2`, `doctrain-${runId}-a3`]);
    const [second, third] = await Promise.all([describeJob(`doctrain-${runId}-a2`), describeJob(`doctrain-${runId}-a3`)]);
    expect(third.CheckpointConfig?.S3Uri).toBe(second.CheckpointConfig?.S3Uri);
    expect(third.CheckpointConfig?.S3Uri).toBe(`s3://${pipeline.services.bucket}/checkpoints/receipts/${runId}/`);
    expect(third.EnableManagedSpotTraining).toBe(false);
    expect(third.StoppingCondition?.MaxWaitTimeInSeconds).toBeUndefined();
    expect(third.AlgorithmSpecification?.TrainingImage).toMatch(/^doctrain-trainer@sha256:[0-9a-f]{64}$/);
    expect(third.AlgorithmSpecification?.TrainingImage).toBe(record?.trainingImage);
    expect(record?.imageDigest).toBe(third.AlgorithmSpecification?.TrainingImage?.split('@')[1]);
  });

  it('adopts the job a lost CreateTrainingJob response left behind instead of stopping it', async () => {
    // Prepare: the job is created, the response is lost; the retry meets ResourceInUse ("already exists").
    const runId = 'cap-adopt';
    pipeline.services.setSageMakerFaults({ lostCreateResponses: 1 });
    // Act
    const outcome = await pipeline.execute({ runId, force: true, training: { hyperparameters: SMALL_TRAINING } }, { executionName: runId });
    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(outcome.events.some((e) => e.stateName === 'AdoptTrainingJob' && e.type === 'StateEntered')).toBe(true);
    expect(outcome.events.some((e) => e.stateName === 'StopTrainingAfterError')).toBe(false);
    expect(await jobsOf(runId)).toEqual([`doctrain-${runId}-a1`]);
    expect((await describeJob(`doctrain-${runId}-a1`)).TrainingJobStatus).toBe('Completed');
    const { record } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
    expect((record?.attempts as { status: string }[]).map((a) => a.status)).toEqual(['Completed']);
  });
});
