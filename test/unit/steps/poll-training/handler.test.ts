/**
 * PollTraining's wiring: the checkpoint watchdog's finding becomes a warning line and the CheckpointStale
 * metrics, published by the Powertools middlewares at the end of the invocation with the run keys. The
 * handler module's own clients are mocked (SageMaker, S3, DynamoDB); the settings are the local stage's.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_METRICS, createPollTrainingHandler } from '../../../../functions/poll-training/handler';
import { loadServerlessProject } from '../../../../local/serverless-project';
import { localSettingsEnvironment } from '../../../../local/services';
import { deploymentSettingsSchema } from '../../../../src/contracts/settings';
import type { PollTrainingEvent } from '../../../../src/steps/poll-training/schema';
import { capturingObservability } from '../../lambda/capture';
import { DEFAULT_PRICE_TABLE } from '../../../../src/contracts/prices';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const NOW = new Date('2026-03-14T12:00:00Z');
const minutesAgo = (minutes: number): Date => new Date(NOW.getTime() - minutes * 60_000);
const context = { functionName: 'doctrain-test-pollTraining', awsRequestId: 'req-1' } as Context;

const sagemaker = new SageMakerClient({ region: 'us-east-1' });
const s3 = new S3Client({ region: 'us-east-1' });
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const sagemakerMock = mockClient(sagemaker);
const s3Mock = mockClient(s3);
const dynamoMock = mockClient(dynamo);

const settings = deploymentSettingsSchema.parse({
  ...localSettingsEnvironment(loadServerlessProject(ROOT).stageConfig('local')),
  DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS: '600',
  DOCTRAIN_CHECKPOINT_STALE_FACTOR: '3',
});

const event: PollTrainingEvent = {
  runId: 'run-stale',
  executionName: 'run-stale',
  trainingJobName: 'doctrain-run-stale-a1',
  checkpointS3Uri: 's3://doctrain-local/checkpoints/receipts/run-stale/',
  pollSeconds: 60,
  polling: { pollCount: 0, executions: ['run-stale'] },
  budgetUsd: null,
  textractPagesBilled: 0,
  prices: DEFAULT_PRICE_TABLE,
};

/** A job training for 2 hours whose newest checkpoint is `checkpointAge` minutes old, and the handler that polls it. */
const trainingWithCheckpoint = (checkpointAge: number) => {
  sagemakerMock.on(DescribeTrainingJobCommand).resolves({
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Training',
    CreationTime: minutesAgo(130),
    SecondaryStatusTransitions: [{ Status: 'Training', StartTime: minutesAgo(120) }],
  });
  s3Mock
    .on(ListObjectsV2Command)
    .resolves({ Contents: [{ Key: 'checkpoints/receipts/run-stale/ckpt.pt', LastModified: minutesAgo(checkpointAge) }] });
  dynamoMock.onAnyCommand().resolves({});
  const observability = capturingObservability();
  const handler = createPollTrainingHandler({ sagemaker, s3, dynamo, settings: () => settings, now: () => NOW, ...observability });
  return { handler, ...observability };
};

afterEach(() => {
  sagemakerMock.reset();
  s3Mock.reset();
  dynamoMock.reset();
});

describe('PollTraining handler', () => {
  it('publishes CheckpointStale and the checkpoint age, with the model as dimension and the run as property, when the watchdog warns', async () => {
    // Prepare: newest checkpoint 100 minutes old (threshold 3 x 600 s = 30 minutes)
    const { handler, logger, metrics } = trainingWithCheckpoint(100);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toMatchObject({ checkpointStale: true, pollCount: 1 });
    expect(metrics.published).toHaveLength(1);
    const emf = metrics.published[0] as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    expect(emf).toMatchObject({
      [CHECKPOINT_METRICS.stale]: 1,
      [CHECKPOINT_METRICS.ageSeconds]: 6000,
      modelName: settings.DOCTRAIN_MODEL_NAME,
      runId: 'run-stale',
    });
    expect(emf._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'modelName']]);
    const warning = logger.lines.find((line) => line['level'] === 'WARN');
    expect(warning).toMatchObject({ runId: 'run-stale', ageSeconds: 6000, thresholdSeconds: 1800 });
    expect(String(warning?.['message'])).toMatch(/^checkpoint watchdog: the newest checkpoint is 6000 s old/);
  });

  it('publishes nothing while checkpoints are fresh', async () => {
    // Prepare
    const { handler, metrics } = trainingWithCheckpoint(5);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toMatchObject({ checkpointStale: false });
    expect(metrics.published).toEqual([]);
  });
});
