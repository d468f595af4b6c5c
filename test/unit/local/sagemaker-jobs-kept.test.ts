/**
 * The local SageMaker's training jobs across a restart (local/sagemaker/job-store.ts): a new server on
 * the same folder describes and lists the jobs of the one before, refuses their names, and reports a
 * job that was InProgress when its server went away as Failed; and the enums and patterns of
 * botocore's model (TrainingInstanceType, ListTrainingJobs' StatusEquals/SortBy/SortOrder, the
 * TrainingJobName pattern) refused as SageMaker refuses them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
  StopTrainingJobCommand,
  type CreateTrainingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/clients';
import type { LocalSageMaker } from '../../../local/sagemaker';
import { orphanedFailureReason } from '../../../local/sagemaker/job-store';
import { removeFakeTrainerCache, startFakeTrainerSageMaker } from './fake-trainer';
import { startLocalS3, type LocalS3 } from './helpers';

const BUCKET = 'sagemaker-kept';

let s3: LocalS3;
let workDir: string;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sm-kept-'));
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'datasets/train-0.jsonl', Body: '{"id":"a"}\n' }));
}, 20_000);

afterAll(async () => {
  await s3?.close();
  rmSync(workDir, { recursive: true, force: true });
  removeFakeTrainerCache();
});

const startServer = (): Promise<LocalSageMaker> => startFakeTrainerSageMaker(s3.client, workDir);

const request = (name: string, hyperParameters: Record<string, string>): CreateTrainingJobCommandInput => ({
  TrainingJobName: name,
  AlgorithmSpecification: { TrainingImage: 'doctrain-trainer:local', TrainingInputMode: 'File' },
  RoleArn: 'arn:aws:iam::123456789012:role/doctrain-sagemaker',
  InputDataConfig: [
    { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/datasets/train-` } } },
  ],
  OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/` },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
  StoppingCondition: { MaxRuntimeInSeconds: 600 },
  HyperParameters: hyperParameters,
});

const errorOf = (promise: Promise<unknown>): Promise<{ name: string; message: string }> =>
  promise.then(
    () => ({ name: 'none', message: '' }),
    (error: Error) => ({ name: error.name, message: error.message }),
  );

describe('local SageMaker training jobs across a restart', { timeout: 120_000 }, () => {
  it('describes and lists the jobs of the server before; one left InProgress is Failed, with the reason', async () => {
    // Prepare: one job Completed, one still Training when its server closes
    const before = await startServer();
    const client = new SageMakerClient(localClientConfig(before.endpoint));
    await client.send(new CreateTrainingJobCommand(request('kept-done', { epochs: '1', epoch_seconds: '0.01' })));
    await before.idle();
    const done = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'kept-done' }));
    const training = new Promise<void>((resolve) =>
      before.onOutput((output) => {
        if (output.type === 'status' && output.jobName === 'kept-running' && output.secondaryStatus === 'Training') resolve();
      }),
    );
    await client.send(new CreateTrainingJobCommand(request('kept-running', { epochs: '1000', epoch_seconds: '1' })));
    await training;
    client.destroy();
    await before.close();

    // Act
    const after = await startServer();
    const again = new SageMakerClient(localClientConfig(after.endpoint));
    try {
      const describedDone = await again.send(new DescribeTrainingJobCommand({ TrainingJobName: 'kept-done' }));
      const describedRunning = await again.send(new DescribeTrainingJobCommand({ TrainingJobName: 'kept-running' }));
      const listed = await again.send(new ListTrainingJobsCommand({ SortBy: 'Name', SortOrder: 'Ascending' }));
      const failed = await again.send(new ListTrainingJobsCommand({ StatusEquals: 'Failed' }));
      const recreated = await errorOf(again.send(new CreateTrainingJobCommand(request('kept-done', {}))));
      const stopped = await errorOf(again.send(new StopTrainingJobCommand({ TrainingJobName: 'kept-done' })));

      // Assess
      const { $metadata: _before, ...doneBefore } = done;
      const { $metadata: _after, ...doneAfter } = describedDone;
      expect(doneAfter).toEqual(doneBefore);
      expect(doneAfter.TrainingJobStatus).toBe('Completed');
      expect(describedRunning).toMatchObject({
        TrainingJobStatus: 'Failed',
        SecondaryStatus: 'Failed',
        FailureReason: orphanedFailureReason('Training'),
      });
      expect(describedRunning.SecondaryStatusTransitions?.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Failed']);
      expect(describedRunning.SecondaryStatusTransitions?.every((t) => t.EndTime instanceof Date)).toBe(true);
      expect(listed.TrainingJobSummaries?.map((j) => [j.TrainingJobName, j.TrainingJobStatus])).toEqual([
        ['kept-done', 'Completed'],
        ['kept-running', 'Failed'],
      ]);
      expect(failed.TrainingJobSummaries?.map((j) => j.TrainingJobName)).toEqual(['kept-running']);
      expect(recreated.name).toBe('ResourceInUse');
      expect(stopped).toEqual({
        name: 'ValidationException',
        message: 'The request was rejected because the training job is in status Completed.',
      });
    } finally {
      again.destroy();
      await after.close();
    }
  });
});

describe("local SageMaker: the service model's enums and patterns", { timeout: 60_000 }, () => {
  let server: LocalSageMaker;
  let client: SageMakerClient;
  beforeAll(async () => {
    server = await startServer();
    client = new SageMakerClient(localClientConfig(server.endpoint));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  it.each([
    [
      'an InstanceType TrainingInstanceType does not list',
      () =>
        client.send(
          new CreateTrainingJobCommand({
            ...request('bad-type', {}),
            ResourceConfig: { InstanceType: 'ml.g5.huge' as never, VolumeSizeInGB: 30 },
          }),
        ),
      "Value 'ml.g5.huge' at 'resourceConfig.instanceType' failed to satisfy constraint: Member must satisfy enum value set: [ml.m4.xlarge, ",
    ],
    [
      'StatusEquals outside TrainingJobStatus',
      () => client.send(new ListTrainingJobsCommand({ StatusEquals: 'Bogus' as never })),
      "Value 'Bogus' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: [InProgress, Completed, Failed, Stopping, Stopped, Deleting]",
    ],
    [
      'SortBy outside its enum',
      () => client.send(new ListTrainingJobsCommand({ SortBy: 'Size' as never })),
      "Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [Name, CreationTime, Status]",
    ],
    [
      'SortOrder outside its enum',
      () => client.send(new ListTrainingJobsCommand({ SortOrder: 'Up' as never })),
      "Value 'Up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [Ascending, Descending]",
    ],
    [
      'a TrainingJobName outside its pattern (Describe)',
      () => client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'bad_name' })),
      "Value 'bad_name' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ],
    [
      'a TrainingJobName outside its pattern (Stop)',
      () => client.send(new StopTrainingJobCommand({ TrainingJobName: '-leading-dash' })),
      "Value '-leading-dash' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ],
  ])('refuses %s with a ValidationException', async (_what, send, message) => {
    // Act
    const error = await errorOf(send());
    // Assess
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain(`1 validation error detected: ${message}`);
  });
});
