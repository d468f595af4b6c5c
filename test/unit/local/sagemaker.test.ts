import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
  StopTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  type DescribeTrainingJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSageMaker, type LocalSageMaker } from '../../../local/sagemaker';
import { FAKE_TRAINER_DIR, removeFakeTrainerCache, startFakeTrainerSageMaker } from './fake-trainer';
import { startLocalS3, type LocalS3 } from './helpers';
import { localClientConfig } from '../../../local/clients';

const BUCKET = 'sagemaker-test';

let s3: LocalS3;
let sagemaker: LocalSageMaker;
let client: SageMakerClient;
let workDir: string;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sm-'));
  sagemaker = await startFakeTrainerSageMaker(s3.client, workDir, {
    checkpointSyncSeconds: 0.2,
    faults: { spotInterruptAfterSeconds: 0.6, capacityErrors: { 'ml.g5.xlarge': 1 } },
  });
  client = new SageMakerClient(localClientConfig(sagemaker.endpoint));
  const put = (Key: string, Body: string) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  await put('datasets/fp1/train-00000.jsonl', '{"id":"a"}\n');
  await put('datasets/fp1/train-00001.jsonl', '{"id":"b"}\n');
  await put('datasets/fp1/validation-00000.jsonl', '{"id":"c"}\n');
  await put('datasets/fp1/labels.json', '{"schemaVersion":1,"labels":["O"]}');
}, 20_000);

afterAll(async () => {
  client?.destroy();
  await sagemaker?.close();
  await s3?.close();
  rmSync(workDir, { recursive: true, force: true });
  removeFakeTrainerCache();
});

const request = (name: string, overrides: Partial<CreateTrainingJobCommandInput> = {}): CreateTrainingJobCommandInput => ({
  TrainingJobName: name,
  AlgorithmSpecification: {
    TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-trainer:latest',
    TrainingInputMode: 'File',
    MetricDefinitions: [
      { Name: 'val_f1', Regex: 'val_f1=([0-9.]+)' },
      { Name: 'train_loss', Regex: 'train_loss=([0-9.]+)' },
    ],
  },
  RoleArn: 'arn:aws:iam::123456789012:role/doctrain-sagemaker',
  InputDataConfig: [
    ['train', `s3://${BUCKET}/datasets/fp1/train-`],
    ['validation', `s3://${BUCKET}/datasets/fp1/validation-`],
    ['labels', `s3://${BUCKET}/datasets/fp1/labels.json`],
  ].map(([ChannelName, S3Uri]) => ({
    ChannelName,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri, S3DataDistributionType: 'FullyReplicated' } },
  })),
  OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/` },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
  StoppingCondition: { MaxRuntimeInSeconds: 600 },
  HyperParameters: { epochs: '3', epoch_seconds: '0.05' },
  ...overrides,
});

const waitFor = async (
  name: string,
  done = (d: DescribeTrainingJobCommandOutput) => !['InProgress', 'Stopping'].includes(d.TrainingJobStatus ?? ''),
) => {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const d = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (done(d) || Date.now() > deadline) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
};

const s3Text = async (Key: string): Promise<Buffer> => {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
  return Buffer.from(await out.Body!.transformToByteArray());
};

// Generous per-test limits: other work may share these 2 cores; jobs normally end in 0.3-2 s.
describe('local SageMaker', { timeout: 120_000 }, () => {
  it('runs a job to Completed: channels downloaded, metrics parsed, model.tar.gz uploaded', async () => {
    const created = await client.send(new CreateTrainingJobCommand(request('job-ok')));
    expect(created.TrainingJobArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:training-job/job-ok');
    const first = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-ok' }));
    expect(first.TrainingJobStatus).toBe('InProgress');
    expect(first.CreationTime).toBeInstanceOf(Date);

    const d = await waitFor('job-ok');
    expect(d.TrainingJobStatus).toBe('Completed');
    expect(d.SecondaryStatus).toBe('Completed');
    expect(d.SecondaryStatusTransitions?.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    expect(d.SecondaryStatusTransitions?.every((t) => t.StartTime instanceof Date && t.EndTime instanceof Date)).toBe(true);
    expect(d.ModelArtifacts?.S3ModelArtifacts).toBe(`s3://${BUCKET}/models/job-ok/output/model.tar.gz`);
    const metrics = Object.fromEntries((d.FinalMetricDataList ?? []).map((m) => [m.MetricName, m.Value]));
    expect(metrics).toEqual({ val_f1: 0.8, train_loss: 0.3333 });
    expect(d.FinalMetricDataList?.[0]?.Timestamp).toBeInstanceOf(Date);
    expect(d.HyperParameters).toEqual({ epochs: '3', epoch_seconds: '0.05' });
    expect(d.ResourceConfig?.InstanceType).toBe('ml.m5.large');
    expect(d.StoppingCondition?.MaxRuntimeInSeconds).toBe(600);
    expect(d.EnableManagedSpotTraining).toBe(false);
    expect(d.TrainingStartTime).toBeInstanceOf(Date);
    expect(d.TrainingEndTime).toBeInstanceOf(Date);
    expect(d.TrainingTimeInSeconds).toBeGreaterThanOrEqual(1);
    expect(d.BillableTimeInSeconds).toBe(d.TrainingTimeInSeconds);

    const optMl = path.join(workDir, 'job-ok', 'opt', 'ml');
    const hps = JSON.parse(readFileSync(path.join(optMl, 'input/config/hyperparameters.json'), 'utf8'));
    expect(hps).toEqual({ epochs: '3', epoch_seconds: '0.05' });
    expect(existsSync(path.join(optMl, 'input/data/train/train-00001.jsonl'))).toBe(true);
    expect(existsSync(path.join(optMl, 'input/data/validation/validation-00000.jsonl'))).toBe(true);
    expect(existsSync(path.join(optMl, 'input/data/labels/labels.json'))).toBe(true);
    const logs = readFileSync(path.join(workDir, 'job-ok', 'logs.txt'), 'utf8');
    expect(logs).toContain('train files: train-00000.jsonl,train-00001.jsonl');
    expect(logs).toContain('[metric] epoch=3');

    const tarball = path.join(workDir, 'downloaded.tar.gz');
    writeFileSync(tarball, await s3Text('models/job-ok/output/model.tar.gz'));
    expect(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual([
      'metrics.json',
      'model.pt',
    ]);
  });

  it('validates requests like SageMaker', async () => {
    const create = (input: CreateTrainingJobCommandInput) => client.send(new CreateTrainingJobCommand(input));
    await expect(create(request('bad_name'))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'trainingJobName'"),
    });
    await expect(create(request('no-role', { RoleArn: 'not-an-arn-but-long-enough' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(create({ ...request('no-output'), OutputDataConfig: undefined })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('outputDataConfig'),
    });
    await expect(
      create(request('hp-number', { HyperParameters: { epochs: 3 } as unknown as Record<string, string> })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('hyperParameters.epochs') });
    await expect(create(request('spot-no-wait', { EnableManagedSpotTraining: true }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('MaxWaitTimeInSeconds'),
    });
    // Several instances: valid for SageMaker (test/unit/aws/requests.test.ts), refused here in plain words.
    await expect(
      create(request('two-hosts', { ResourceConfig: { InstanceType: 'ml.g5.12xlarge', InstanceCount: 2, VolumeSizeInGB: 30 } })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('The local SageMaker runs one instance: InstanceCount must be 1, not 2'),
    });
    await expect(create(request('job-ok'))).rejects.toMatchObject({ name: 'ResourceInUse' });
    await expect(client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'nope' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Requested resource not found.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('fails with the reason from /opt/ml/output/failure, or the exit code', async () => {
    await client.send(new CreateTrainingJobCommand(request('job-user-error', { HyperParameters: { mode: 'user_error' } })));
    await client.send(new CreateTrainingJobCommand(request('job-crash', { HyperParameters: { mode: 'crash' } })));
    const userError = await waitFor('job-user-error');
    expect(userError.TrainingJobStatus).toBe('Failed');
    expect(userError.SecondaryStatus).toBe('Failed');
    expect(userError.FailureReason).toBe('UserError: epochs must be a positive integer');
    expect(userError.ModelArtifacts).toBeUndefined();
    const crash = await waitFor('job-crash');
    expect(crash.FailureReason).toBe('AlgorithmError: exit code 1');
    expect(readFileSync(path.join(workDir, 'job-crash', 'logs.txt'), 'utf8')).toContain('Traceback');
  });

  it('fails a job for missing input data with a ClientError', async () => {
    const input = request('job-no-data');
    input.InputDataConfig = [
      {
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/datasets/missing/train-` } },
      },
    ];
    await client.send(new CreateTrainingJobCommand(input));
    const d = await waitFor('job-no-data');
    expect(d.TrainingJobStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/^ClientError: No S3 objects found under S3 URL/);
  });

  it('injects capacity errors: the job is accepted, then fails, only as many times as configured', async () => {
    const gpu = { InstanceType: 'ml.g5.xlarge' as const, InstanceCount: 1, VolumeSizeInGB: 30 };
    await client.send(new CreateTrainingJobCommand(request('job-capacity-1', { ResourceConfig: gpu })));
    const failed = await waitFor('job-capacity-1');
    expect(failed.TrainingJobStatus).toBe('Failed');
    expect(failed.FailureReason).toMatch(/^CapacityError: Unable to provision requested ML compute capacity/);
    expect(failed.TrainingStartTime).toBeUndefined();
    expect(failed.BillableTimeInSeconds).toBeUndefined();
    await client.send(new CreateTrainingJobCommand(request('job-capacity-2', { ResourceConfig: gpu })));
    expect((await waitFor('job-capacity-2')).TrainingJobStatus).toBe('Completed');
  });

  it('refuses a create with ResourceLimitExceeded, and loses a create response, only as many times as configured', async () => {
    // Prepare (setFaults replaces every fault: keep the suite's spot interruption for the later tests)
    const gpu = { InstanceType: 'ml.g5.2xlarge' as const, InstanceCount: 1, VolumeSizeInGB: 30 };
    sagemaker.setFaults({ spotInterruptAfterSeconds: 0.6, createCapacityErrors: { 'ml.g5.2xlarge': 1 }, lostCreateResponses: 1 });
    const once = new SageMakerClient({
      endpoint: sagemaker.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      maxAttempts: 1,
    });
    try {
      // Act / Assess: refused, no job exists; then created but the answer is a 500; a retry meets ResourceInUse.
      await expect(once.send(new CreateTrainingJobCommand(request('job-refused-1', { ResourceConfig: gpu })))).rejects.toMatchObject({
        name: 'ResourceLimitExceeded',
        message: expect.stringContaining("'ml.g5.2xlarge for training job usage' is 0 Instances"),
      });
      await expect(client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-refused-1' }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      await expect(once.send(new CreateTrainingJobCommand(request('job-lost-1')))).rejects.toMatchObject({ name: 'InternalFailure' });
      await expect(once.send(new CreateTrainingJobCommand(request('job-lost-1')))).rejects.toMatchObject({ name: 'ResourceInUse' });
      expect((await waitFor('job-lost-1')).TrainingJobStatus).toBe('Completed');
      await once.send(new CreateTrainingJobCommand(request('job-refused-2', { ResourceConfig: gpu })));
      expect((await waitFor('job-refused-2')).TrainingJobStatus).toBe('Completed');
    } finally {
      once.destroy();
      sagemaker.setFaults({ spotInterruptAfterSeconds: 0.6 });
    }
  });

  it('stops a job: SIGTERM, checkpoint synced, Stopping -> Stopped', async () => {
    await client.send(
      new CreateTrainingJobCommand(
        request('job-stop', {
          HyperParameters: { epochs: '1000', epoch_seconds: '0.1' },
          CheckpointConfig: { S3Uri: `s3://${BUCKET}/checkpoints/job-stop` },
        }),
      ),
    );
    await waitFor('job-stop', (d) => d.FinalMetricDataList?.length === 2);
    await client.send(new StopTrainingJobCommand({ TrainingJobName: 'job-stop' }));
    const stopping = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-stop' }));
    expect(['Stopping', 'Stopped']).toContain(stopping.TrainingJobStatus);
    const d = await waitFor('job-stop');
    expect(d.TrainingJobStatus).toBe('Stopped');
    expect(d.SecondaryStatus).toBe('Stopped');
    expect(d.SecondaryStatusTransitions?.map((t) => t.Status)).toContain('Stopping');
    expect(readFileSync(path.join(workDir, 'job-stop', 'logs.txt'), 'utf8')).toContain('SIGTERM: checkpoint saved');
    const ckpt = JSON.parse((await s3Text('checkpoints/job-stop/ckpt.json')).toString()) as { epoch: number };
    expect(ckpt.epoch).toBeGreaterThanOrEqual(1);
    await expect(client.send(new StopTrainingJobCommand({ TrainingJobName: 'job-stop' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('rehearses a spot interruption: SIGTERM, checkpoint to S3, Interrupted, resume from the checkpoint', async () => {
    await client.send(
      new CreateTrainingJobCommand(
        request('job-spot', {
          HyperParameters: { epochs: '6', epoch_seconds: '0.2' },
          EnableManagedSpotTraining: true,
          StoppingCondition: { MaxRuntimeInSeconds: 600, MaxWaitTimeInSeconds: 1200 },
          CheckpointConfig: { S3Uri: `s3://${BUCKET}/checkpoints/job-spot/` },
        }),
      ),
    );
    const d = await waitFor('job-spot');
    expect(d.TrainingJobStatus).toBe('Completed');
    expect(d.EnableManagedSpotTraining).toBe(true);
    const statuses = d.SecondaryStatusTransitions?.map((t) => t.Status);
    expect(statuses).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Interrupted',
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed',
    ]);
    const logs = readFileSync(path.join(workDir, 'job-spot', 'logs.txt'), 'utf8');
    expect(logs).toMatch(/SIGTERM: checkpoint saved at epoch [1-5]/);
    expect(logs).toMatch(/\[resume\] from epoch [1-5]/);
    expect(d.FinalMetricDataList?.find((m) => m.MetricName === 'val_f1')?.Value).toBeCloseTo(1.1);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'checkpoints/job-spot/' }));
    expect(listed.Contents?.map((o) => o.Key)).toContain('checkpoints/job-spot/ckpt.json');
  });

  it('stops a job that exceeds MaxRuntimeInSeconds', async () => {
    await client.send(
      new CreateTrainingJobCommand(
        request('job-timeout', {
          HyperParameters: { epochs: '1000', epoch_seconds: '0.1' },
          StoppingCondition: { MaxRuntimeInSeconds: 1 },
        }),
      ),
    );
    const d = await waitFor('job-timeout');
    expect(d.TrainingJobStatus).toBe('Stopped');
    expect(d.SecondaryStatus).toBe('MaxRuntimeExceeded');
  });

  it('close() kills running trainers promptly', async () => {
    const other = await startLocalSageMaker({
      s3: s3.client,
      workDir: path.join(workDir, 'other'),
      trainerDir: FAKE_TRAINER_DIR,
      module: 'fake_trainer',
      runner: 'process',
    });
    const c = new SageMakerClient({
      endpoint: other.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await c.send(new CreateTrainingJobCommand(request('job-close', { HyperParameters: { epochs: '1000', epoch_seconds: '0.1' } })));
    for (;;) {
      const d = await c.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-close' }));
      if (d.SecondaryStatus === 'Training') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    c.destroy();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(3000);
    const logs = readFileSync(path.join(workDir, 'other', 'job-close', 'logs.txt'), 'utf8');
    expect(logs).toContain('SIGTERM: checkpoint saved');
  });

  it('lists jobs with filters and pagination', async () => {
    const all = await client.send(
      new ListTrainingJobsCommand({ MaxResults: 100, NameContains: 'job-capacity', SortBy: 'Name', SortOrder: 'Ascending' }),
    );
    expect(all.TrainingJobSummaries?.map((s) => s.TrainingJobName)).toEqual(['job-capacity-1', 'job-capacity-2']);
    const page1 = await client.send(new ListTrainingJobsCommand({ MaxResults: 2 }));
    expect(page1.TrainingJobSummaries).toHaveLength(2);
    expect(page1.NextToken).toBeDefined();
    const page2 = await client.send(new ListTrainingJobsCommand({ MaxResults: 2, NextToken: page1.NextToken }));
    expect(page2.TrainingJobSummaries?.[0]?.TrainingJobName).not.toBe(page1.TrainingJobSummaries?.[0]?.TrainingJobName);
    const failed = await client.send(new ListTrainingJobsCommand({ StatusEquals: 'Failed', MaxResults: 100 }));
    expect(failed.TrainingJobSummaries?.every((s) => s.TrainingJobStatus === 'Failed')).toBe(true);
    expect(failed.TrainingJobSummaries?.length).toBeGreaterThanOrEqual(3);
  });
});
