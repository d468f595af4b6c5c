/**
 * StopEndedRun against a real DynamoDB API (dynalite) for the run record; SageMaker mocked (this module
 * only calls StopTrainingJob and, for a tuning run, StopHyperParameterTuningJob).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SageMakerClient, StopHyperParameterTuningJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
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
    expect(result).toEqual({ action: 'stopped', runId: 'r-abort', trainingJobName: 'doctrain-r-abort-a1', runStatus: 'STOPPED' });
    expect(sagemakerMock.commandCalls(StopTrainingJobCommand)[0]?.args[0].input).toEqual({ TrainingJobName: 'doctrain-r-abort-a1' });
    expect(await store.getRun('r-abort')).toMatchObject({ status: 'STOPPED', stoppedBecause: 'execution r-abort ABORTED' });
  });

  it("stops a tuning run's tuning job (and so its running trials), and records the run STOPPED", async () => {
    // Prepare
    const tuning = {
      jobName: 'doctrain-r-tune',
      strategy: 'Random' as const,
      objective: { metric: 'val_f1', type: 'Maximize' as const },
      status: 'InProgress',
      trialsTotal: 4,
      trialsEnded: 1,
      trialsInProgress: 1,
      best: null,
    };
    await training('r-tune', 'r-tune', { tuning });
    sagemakerMock
      .on(StopTrainingJobCommand)
      .rejects(Object.assign(new Error('Requested resource not found.'), { name: 'ValidationException' }));
    sagemakerMock.on(StopHyperParameterTuningJobCommand).resolves({});
    // Act
    const result = await stopEndedRun(deps(), { executionName: 'r-tune', status: 'TIMED_OUT', input: '{"runId":"r-tune"}' });
    // Assess
    expect(result).toMatchObject({ action: 'stopped', runStatus: 'STOPPED' });
    expect(sagemakerMock.commandCalls(StopHyperParameterTuningJobCommand)[0]?.args[0].input).toEqual({
      HyperParameterTuningJobName: 'doctrain-r-tune',
    });
    expect((await store.getRun('r-tune'))?.status).toBe('STOPPED');
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

  it("stops the job of an execution that failed past every Catch (States.Runtime) and records the run FAILED with the execution's error", async () => {
    // Prepare
    await training('r-runtime', 'r-runtime');
    sagemakerMock.on(StopTrainingJobCommand).resolves({});
    const cause =
      "An error occurred while executing the state 'PollTraining'. The JSONPath '$.dataset.missing' could not be found in the input";
    // Act
    const result = await stopEndedRun(deps(), {
      executionName: 'r-runtime',
      status: 'FAILED',
      input: '{"runId":"r-runtime"}',
      error: 'States.Runtime',
      cause,
    });
    // Assess
    expect(result).toEqual({ action: 'stopped', runId: 'r-runtime', trainingJobName: 'doctrain-r-runtime-a1', runStatus: 'FAILED' });
    expect(sagemakerMock.commandCalls(StopTrainingJobCommand)[0]?.args[0].input).toEqual({ TrainingJobName: 'doctrain-r-runtime-a1' });
    expect(await store.getRun('r-runtime')).toMatchObject({
      status: 'FAILED',
      failure: { error: 'States.Runtime', message: cause },
      stoppedBecause: 'execution r-runtime FAILED',
    });
    expect((await store.listEvents('r-runtime')).at(-1)).toMatchObject({
      status: 'FAILED',
      detail: { error: 'States.Runtime', message: cause },
    });
  });

  it("records a failed execution's Lambda error by its message, and names the failure when the event gives none", async () => {
    // Prepare
    await training('r-lambda', 'r-lambda');
    await training('r-bare', 'r-bare');
    sagemakerMock.on(StopTrainingJobCommand).resolves({});
    const lambdaCause = JSON.stringify({ errorType: 'Error', errorMessage: 'the recorder could not write', trace: [] });
    // Act
    await stopEndedRun(deps(), { executionName: 'r-lambda', status: 'FAILED', input: '{}', error: 'Error', cause: lambdaCause });
    await stopEndedRun(deps(), { executionName: 'r-bare', status: 'FAILED', input: '{}', error: null, cause: null });
    // Assess
    expect((await store.getRun('r-lambda'))?.failure).toEqual({ error: 'Error', message: 'the recorder could not write' });
    expect((await store.getRun('r-bare'))?.failure).toEqual({ error: 'ExecutionFailed', message: 'ExecutionFailed' });
  });

  it('leaves alone a failed execution whose run RecordFailure already made final, and a not-owning or unknown failed one', async () => {
    // Prepare: the pipeline's own failure path: RecordFailure wrote FAILED, then the execution failed.
    await training('r-recorded', 'r-recorded');
    await store.writeStatusChange({
      runId: 'r-recorded',
      executionName: 'r-recorded',
      status: 'FAILED',
      at: '2026-03-14T09:30:00Z',
      attributes: { failure: { error: 'TrainingJobFailed', message: 'the trainer exited 2' } },
    });
    await training('r-theirs', 'r-theirs', { continuedBy: 'r-theirs-c1' });
    const failed = (executionName: string, input: string | null) =>
      stopEndedRun(deps(), { executionName, status: 'FAILED', input, error: 'TrainingJobFailed', cause: 'the trainer exited 2' });
    // Act
    const results = await Promise.all([failed('r-recorded', '{}'), failed('r-theirs-old', '{"runId":"r-theirs"}'), failed('gone', null)]);
    // Assess
    expect(results.map((r) => (r.action === 'ignored' ? r.reason : r.action))).toEqual(['already-final', 'not-owner', 'no-run']);
    expect(sagemakerMock.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
    expect((await store.getRun('r-recorded'))?.failure).toEqual({ error: 'TrainingJobFailed', message: 'the trainer exited 2' });
    expect((await store.getRun('r-theirs'))?.status).toBe('TRAINING');
  });

  it('does nothing for an execution status it does not handle (a succeeded execution)', async () => {
    // Prepare
    await training('r-ok', 'r-ok');
    // Act
    const result = await stopEndedRun(deps(), { executionName: 'r-ok', status: 'SUCCEEDED', input: '{}' });
    // Assess
    expect(result).toEqual({ action: 'ignored', runId: 'r-ok', reason: 'other-status' });
    expect(sagemakerMock.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
    expect((await store.getRun('r-ok'))?.status).toBe('TRAINING');
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
