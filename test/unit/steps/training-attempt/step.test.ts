/**
 * The TrainingAttempt step against a real DynamoDB API (dynalite, in memory): what it records on the run
 * (attempts, current job) at each move along the instance plan, and the status it leaves alone.
 */
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../../local/dynamodb';
import { loadServerlessProject } from '../../../../local/serverless-project';
import { createTableInput } from '../../../../local/services';
import { readDeploymentSettings, resolveRunConfig } from '../../../../src/steps/validate-input/step';
import type { TrainingConfig } from '../../../../src/contracts/training-config';
import { InstancePlanExhaustedError } from '../../../../src/contracts/errors';
import { RunStore } from '../../../../src/status/run-store';
import { trainingAttemptEventSchema } from '../../../../src/steps/training-attempt/schema';
import { trainingAttemptStep } from '../../../../src/steps/training-attempt/step';

const TABLE = 'doctrain-attempts';
const EXECUTION = 'exec-1';
let server: LocalDynamoDB;
let raw: DynamoDBClient;
let store: RunStore;
const deps = () => ({ store, now: () => new Date('2026-03-14T09:00:00Z') });

const configFor = (runId: string, fallbacks: string): TrainingConfig =>
  resolveRunConfig(
    readDeploymentSettings({
      DOCTRAIN_BUCKET: 'bucket-1',
      DOCTRAIN_TABLE: TABLE,
      DOCTRAIN_TRAINING_IMAGE: 'repo:latest',
      DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sm',
      DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
      DOCTRAIN_INSTANCE_FALLBACKS: fallbacks,
    }),
    { runId },
    runId,
  ).training;

/** The event as the handler gets it: parsed by the step's own schema (the state's executionName filled in). */
const step = (event: Record<string, unknown>): Promise<TrainingConfig> =>
  trainingAttemptStep(deps(), trainingAttemptEventSchema.parse({ executionName: EXECUTION, ...event }));

beforeAll(async () => {
  server = await startLocalDynamoDB();
  raw = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  await raw.send(
    new CreateTableCommand(
      createTableInput(TABLE, loadServerlessProject(path.resolve(import.meta.dirname, '../../../..')).tableProperties),
    ),
  );
  store = new RunStore(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), TABLE);
});

afterAll(async () => {
  raw?.destroy();
  await server?.close();
});

describe('TrainingAttempt', () => {
  it('records each attempt on the run as it moves along the plan, the status unchanged by a fallback', async () => {
    // Prepare
    const runId = 'attempts-1';
    await store.writeStatusChange({ runId, executionName: EXECUTION, status: 'PREPARING', at: '2026-03-14T08:00:00Z' });
    const config = configFor(runId, 'ml.g5.2xlarge:spot');
    // Act: first -> create refused -> second started -> it ends for capacity -> plan exhausted
    const first = await step({ action: 'first', runId, training: config, plan: config.plan });
    const afterFirst = (await store.getRun(runId))?.['attempts'];
    const second = await step({
      action: 'createFailed',
      runId,
      training: first,
      error: { Error: 'SageMaker.ResourceLimitExceededException', Cause: 'quota 0' },
    });
    const statusAfterFallback = (await store.getRun(runId))?.status;
    const started = await step({ action: 'started', runId, training: second, attributes: { trainingJobArn: 'arn:job-a2' } });
    const running = await store.getRun(runId);
    const exhausted = step({
      action: 'jobFailed',
      runId,
      training: started,
      job: { TrainingJobStatus: 'Failed', FailureReason: 'CapacityError: none', BillableTimeInSeconds: 7 },
    });
    // Assess
    expect(afterFirst).toBeUndefined(); // the first attempt writes nothing until its job exists
    expect(statusAfterFallback).toBe('PREPARING');
    expect(running).toMatchObject({
      status: 'TRAINING',
      trainingJobName: `doctrain-${runId}-a2`,
      instanceType: 'ml.g5.2xlarge',
      spot: true,
      trainingJobArn: 'arn:job-a2',
    });
    await expect(exhausted).rejects.toBeInstanceOf(InstancePlanExhaustedError);
    const attempts = (await store.getRun(runId))?.['attempts'] as Record<string, unknown>[];
    expect(attempts.map((a) => [a['jobName'], a['status'], a['billableSeconds']])).toEqual([
      [`doctrain-${runId}-a1`, 'CreateFailed', undefined],
      [`doctrain-${runId}-a2`, 'Failed', 7],
    ]);
    expect((await store.getRun(runId))?.status).toBe('TRAINING');
  });

  it('adopting an existing job writes nothing and keeps the attempt', async () => {
    // Prepare
    const runId = 'attempts-2';
    await store.writeStatusChange({ runId, executionName: EXECUTION, status: 'PREPARING', at: '2026-03-14T08:00:00Z' });
    const config = configFor(runId, '');
    const first = await step({ action: 'first', runId, training: config, plan: config.plan });
    // Act
    const adopt = await step({
      action: 'createFailed',
      runId,
      training: first,
      error: { Error: 'SageMaker.ResourceInUseException', Cause: 'exists' },
    });
    // Assess
    expect(adopt).toMatchObject({ next: 'adopt', jobName: `doctrain-${runId}-a1`, attempt: 1 });
    expect((await store.getRun(runId))?.['attempts']).toBeUndefined();
    expect((await store.listEvents(runId)).map((e) => e.status)).toEqual(['PREPARING']);
  });
});
