/**
 * Handlers end to end as Lambda runs them: the module-scope `handler`, whose clients, Logger and Metrics
 * are built from the environment when the module is loaded and whose settings are read from it on the
 * first invocation; the environment is set before the module is imported, as in a cold start.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../local/dynamodb';
import { loadServerlessProject } from '../../../local/serverless-project';
import { createTableInput, deploymentEnvironment } from '../../../local/services';
import { InvalidInputError, RunConflictError, StatusRegressionError } from '../../../src/contracts/errors';
import { localClientConfig } from '../../../local/clients';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TABLE = 'doctrain-handlers-test';
const context = {} as Context;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let validateInput: Handler;
let recordStatus: Handler;
let dynamo: LocalDynamoDB;
let raw: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamoDB();
  const { endpoint } = dynamo;
  const project = loadServerlessProject(ROOT);
  raw = new DynamoDBClient(localClientConfig(endpoint));
  await raw.send(new CreateTableCommand(createTableInput(TABLE, project.tableProperties)));
  // The dev stage's settings exactly as serverless.yml sets them, plus what CloudFormation would resolve.
  Object.assign(process.env, {
    ...deploymentEnvironment(project.stageConfig('dev')),
    DOCTRAIN_BUCKET: 'doctrain-dev-documentsbucket-1x2y3z',
    DOCTRAIN_TABLE: TABLE,
    DOCTRAIN_TRAINING_IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer:latest',
    DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/doctrain-dev-SageMakerExecutionRole-ABC',
    DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT', // the handlers' JSON log lines (checked in define-handler.test.ts)
  });
  // Imported only now: the handler modules read the environment when loaded.
  validateInput = (await import('../../../functions/validate-input/handler')).handler;
  recordStatus = (await import('../../../functions/record-status/handler')).handler;
});

afterAll(async () => {
  raw?.destroy();
  await dynamo?.close();
});

describe('validate-input handler', () => {
  it('resolves the run config from the stage settings and the execution input', async () => {
    // Act
    const result = (await validateInput(
      {
        input: { trigger: 'schedule', training: { hyperparameters: { epochs: 5 } } },
        executionName: 'weekly-2026-03-14',
      },
      context,
    )) as { config: Record<string, unknown> & { training: Record<string, unknown> } };
    // Assess
    expect(result.config).toMatchObject({
      runId: 'weekly-2026-03-14',
      trigger: 'schedule',
      bucket: 'doctrain-dev-documentsbucket-1x2y3z',
      modelName: 'receipts',
      documentsPrefix: 'documents/',
      runPrefix: 'runs/weekly-2026-03-14/',
      pollSeconds: 60,
      dataset: { validationFraction: 0.2, batchSize: 10, ocrConcurrency: 10, maxQuarantineShare: 0.25 },
    });
    expect(result.config.training).toMatchObject({
      jobName: 'doctrain-weekly-2026-03-14-a1',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer:latest',
      roleArn: 'arn:aws:iam::123456789012:role/doctrain-dev-SageMakerExecutionRole-ABC',
      instanceType: 'ml.g5.xlarge',
      spot: true,
      stoppingCondition: { MaxRuntimeInSeconds: 14400, MaxWaitTimeInSeconds: 28800 },
      hyperparameters: { epochs: '5' },
    });
  });

  it('rejects a bad execution input with an InvalidInputError that names the field', async () => {
    // Act
    const attempt = validateInput({ input: { training: { instanceTyp: 'ml.g5.2xlarge' } }, executionName: 'x' }, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow('training.instanceTyp');
  });

  it('rejects an event without the execution name', async () => {
    // Act
    const attempt = validateInput({ input: {} }, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow('executionName');
  });
});

describe('record-status handler', () => {
  it('records the ASL RecordPending parameters, then refuses to go back', async () => {
    // Act
    const pending = await recordStatus(
      {
        runId: 'handler-run',
        executionName: 'handler-exec',
        status: 'PENDING',
        attributes: { trigger: 'manual', trainingJobName: 'doctrain-handler-run-a1', spot: true },
      },
      context,
    );
    const training = await recordStatus(
      {
        runId: 'handler-run',
        executionName: 'handler-exec',
        status: 'TRAINING',
      },
      context,
    );
    const backwards = recordStatus({ runId: 'handler-run', executionName: 'handler-exec', status: 'PREPARING' }, context);
    // Assess
    expect(pending).toEqual({ runId: 'handler-run', status: 'PENDING' });
    expect(training).toEqual({ runId: 'handler-run', status: 'TRAINING' });
    await expect(backwards).rejects.toBeInstanceOf(StatusRegressionError);
  });

  it('refuses a write from another execution with an error named RunConflictError (what the ASL catches)', async () => {
    // Prepare
    await recordStatus({ runId: 'handler-owned', executionName: 'owner-exec', status: 'PENDING' }, context);
    // Act
    const attempt = recordStatus({ runId: 'handler-owned', executionName: 'other-exec', status: 'PENDING' }, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RunConflictError);
    await expect(attempt).rejects.toMatchObject({ name: 'RunConflictError' });
    await expect(attempt).rejects.toThrow('owner-exec');
  });

  it('rejects an event without the execution name, naming executionName', async () => {
    // Act
    const attempt = recordStatus({ runId: 'handler-run', status: 'PENDING' }, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow('executionName');
  });

  it('rejects an unknown status with an InvalidInputError naming the field', async () => {
    // Act
    const attempt = recordStatus({ runId: 'handler-run', executionName: 'handler-exec', status: 'RUNNING' }, context);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow('status');
  });
});
