/**
 * StopEndedRun against a real DynamoDB API (dynalite) for the run record; SageMaker mocked (this module
 * only calls StopTrainingJob).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SageMakerClient, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../../local/dynamodb';
import { loadServerlessProject } from '../../../../local/serverless-project';
import { createTableInput } from '../../../../local/services';
import { stopEndedRun } from '../../../../src/steps/stop-ended-run/step';
import { RunStore } from '../../../../src/status/run-store';
import { localClientConfig } from '../../../../local/clients';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const TABLE = 'doctrain-test-stop';
const sagemakerMock = mockClient(SageMakerClient);
let server: LocalDynamoDB;
let raw: DynamoDBClient;
let store: RunStore;

beforeAll(async () => {
  server = await startLocalDynamoDB();
  raw = new DynamoDBClient(localClientConfig(server.endpoint));
  await raw.send(new CreateTableCommand(createTableInput(TABLE, loadServerlessProject(ROOT).tableProperties)));
  store = new RunStore(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), TABLE);
});
afterAll(async () => {
  raw?.destroy();
  await server?.close();
});
afterEach(() => sagemakerMock.reset());

const deps = () => ({ sagemaker: new SageMakerClient({ region: 'us-east-1' }), store, now: () => new Date('2026-03-14T10:00:00Z') });
const training = async (runId: string, executionName: string, attributes: Record<string, unknown> = {}): Promise<void> => {
  for (const status of ['PENDING', 'TRAINING'] as const) {
    await store.writeStatusChange({
      runId,
      executionName,
      status,
      at: '2026-03-14T09:00:00Z',
      attributes: { trainingJobName: `doctrain-${runId}-a1`, ...attributes },
    });
  }
};

describe('stopEndedRun', () => {
  it("stops the owning execution's training job and records the run STOPPED", async () => {
    // Prepare
    await training('r-abort', 'r-abort');
    sagemakerMock.on(StopTrainingJobCommand).resolves({});
    // Act
    const result = await stopEndedRun(deps(), { executionName: 'r-abort', status: 'ABORTED', input: '{"runId":"r-abort"}' });
    // Assess
    expect(result).toEqual({ action: 'stopped', runId: 'r-abort', trainingJobName: 'doctrain-r-abort-a1' });
    expect(sagemakerMock.commandCalls(StopTrainingJobCommand)[0]?.args[0].input).toEqual({ TrainingJobName: 'doctrain-r-abort-a1' });
    expect(await store.getRun('r-abort')).toMatchObject({ status: 'STOPPED', stoppedBecause: 'execution r-abort ABORTED' });
  });

  it('acts for the execution a run was handed to (continue-as-new), reading the run id from its continuation', async () => {
    // Prepare
    await training('r-chain', 'r-chain', { continuedBy: 'r-chain-c1' });
    sagemakerMock.on(StopTrainingJobCommand).resolves({});
    // Act
    const input = JSON.stringify({ continuation: { config: { runId: 'r-chain' } } });
    const result = await stopEndedRun(deps(), { executionName: 'r-chain-c1', status: 'TIMED_OUT', input });
    // Assess
    expect(result.action).toBe('stopped');
    expect((await store.getRun('r-chain'))?.status).toBe('STOPPED');
  });

  it('records STOPPED when no job was created yet (SageMaker: not found)', async () => {
    // Prepare
    await training('r-early', 'r-early');
    sagemakerMock
      .on(StopTrainingJobCommand)
      .rejects(Object.assign(new Error('Requested resource not found.'), { name: 'ValidationException' }));
    // Act
    const result = await stopEndedRun(deps(), { executionName: 'r-early', status: 'ABORTED', input: '{}' });
    // Assess
    expect(result.action).toBe('stopped');
    expect((await store.getRun('r-early'))?.status).toBe('STOPPED');
  });

  it('leaves alone a run it does not own, a final run and an unknown run, stopping nothing', async () => {
    // Prepare
    await training('r-other', 'r-other');
    await training('r-final', 'r-final');
    await store.writeStatusChange({ runId: 'r-final', executionName: 'r-final', status: 'COMPLETED', at: '2026-03-14T09:30:00Z' });
    // Act
    const results = await Promise.all([
      stopEndedRun(deps(), { executionName: 'intruder', status: 'ABORTED', input: '{"runId":"r-other"}' }),
      stopEndedRun(deps(), { executionName: 'r-final', status: 'ABORTED', input: '{}' }),
      stopEndedRun(deps(), { executionName: 'nobody', status: 'ABORTED', input: null }),
    ]);
    // Assess
    expect(results.map((r) => (r.action === 'ignored' ? r.reason : r.action))).toEqual(['not-owner', 'already-final', 'no-run']);
    expect(sagemakerMock.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
    expect((await store.getRun('r-other'))?.status).toBe('TRAINING');
  });
});
