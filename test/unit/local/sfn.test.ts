/**
 * The local Step Functions API (local/sfn/) through the SDK's SFNClient, as the aws CLI and `doctrain
 * start` reach it: executions of small definitions (Pass, Wait, Fail: no AWS call), their history in
 * Step Functions' shapes, pagination, the API's errors, and the executions kept across a restart
 * (local/sfn/execution-store.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAwsClients, localClientConfig, type LocalEndpoints } from '../../../local/clients';
import { LocalStepFunctions } from '../../../local/executions';
import { localHandlerDeps } from '../../../local/handler-deps';
import { localObservability } from '../../../local/observability';
import { localStageSettings } from '../../../local/services';
import { startLocalSfnServer } from '../../../local/sfn';
import { ExecutionStore, ORPHANED_EXECUTION } from '../../../local/sfn/execution-store';
import type { LocalServer } from '../../../local/http/json-protocol-server';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Pass, a Wait of `waitMs`, Succeed; and one that fails. No Task: nothing reaches the (unused) clients. */
const GREET = {
  StartAt: 'Greet',
  States: {
    Greet: { Type: 'Pass', Parameters: { 'greeting.$': "States.Format('hello {}', $.who)" }, Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 1, Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};
const BREAK = { StartAt: 'Break', States: { Break: { Type: 'Fail', Error: 'Broken', Cause: 'on purpose' } } };

const UNUSED = 'http://127.0.0.1:9';
const endpoints: LocalEndpoints = {
  s3: UNUSED,
  dynamodb: UNUSED,
  textract: UNUSED,
  sagemaker: UNUSED,
  ecr: UNUSED,
  serviceQuotas: UNUSED,
  eventbridge: UNUSED,
};
const deps = localHandlerDeps(localAwsClients(endpoints), localStageSettings(ROOT), localObservability({ write: () => undefined }));

interface Stage {
  stepFunctions: LocalStepFunctions;
  server: LocalServer;
  client: SFNClient;
  close(): Promise<void>;
}

/** A local Step Functions with GREET (the Wait lasting `waitMs`) and BREAK, its executions kept in `dir`. */
const startStage = async (dir: string, waitMs: number): Promise<Stage> => {
  const stepFunctions = new LocalStepFunctions({ functions: [], stage: 'test', deps, waitMs, store: await ExecutionStore.open(dir) });
  stepFunctions.register('greet', GREET);
  stepFunctions.register('break', BREAK);
  const server = await startLocalSfnServer({ stepFunctions });
  const client = new SFNClient(localClientConfig(server.endpoint));
  return {
    stepFunctions,
    server,
    client,
    close: async () => {
      client.destroy();
      await server.close();
      await stepFunctions.settle();
      await stepFunctions.flushed();
    },
  };
};

const GREET_ARN = LocalStepFunctions.stateMachineArn('greet');
const BREAK_ARN = LocalStepFunctions.stateMachineArn('break');

let dir: string;
let stage: Stage;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sfn-'));
  stage = await startStage(dir, 10);
});

afterAll(async () => {
  await stage?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Describes the execution until it has ended (the local runner's settle: no clock involved). */
const ended = async (client: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> => {
  await stage.stepFunctions.settle();
  return client.send(new DescribeExecutionCommand({ executionArn }));
};

const errorOf = (promise: Promise<unknown>): Promise<{ name: string; message: string }> =>
  promise.then(
    () => ({ name: 'none', message: '' }),
    (error: Error) => ({ name: error.name, message: error.message }),
  );

describe('local Step Functions API', () => {
  it('starts an execution that runs the ASL to SUCCEEDED, described as DescribeExecution describes it', async () => {
    // Act
    const started = await stage.client.send(
      new StartExecutionCommand({ stateMachineArn: GREET_ARN, name: 'run-1', input: JSON.stringify({ who: 'world' }) }),
    );
    const described = await ended(stage.client, started.executionArn ?? '');
    // Assess
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:greet:run-1');
    expect(started.startDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({
      executionArn: started.executionArn,
      stateMachineArn: GREET_ARN,
      name: 'run-1',
      status: 'SUCCEEDED',
      input: JSON.stringify({ who: 'world' }),
      output: JSON.stringify({ greeting: 'hello world' }),
    });
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? Infinity);
  });

  it('gives the history in Step Functions event types, ids from 1, each after the one before', async () => {
    // Prepare
    const { executionArn } = await stage.client.send(new StartExecutionCommand({ stateMachineArn: GREET_ARN, input: '{"who":"you"}' }));
    await ended(stage.client, executionArn ?? '');
    // Act
    const history = await stage.client.send(new GetExecutionHistoryCommand({ executionArn }));
    const reversed = await stage.client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }));
    // Assess
    const events = history.events ?? [];
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => [event.id, event.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
    expect(events.every((event) => event.timestamp instanceof Date)).toBe(true);
    expect(events[0]?.executionStartedEventDetails?.input).toBe('{"who":"you"}');
    expect(events[2]?.stateExitedEventDetails).toMatchObject({ name: 'Greet', output: '{"greeting":"hello you"}' });
    expect(reversed.events?.map((event) => event.type)).toEqual(['ExecutionSucceeded', 'SucceedStateExited']);
    expect(reversed.nextToken).toBeDefined();
  });

  it('is idempotent for the same name and input while it runs; refuses a name used otherwise (ExecutionAlreadyExists)', async () => {
    // Prepare: a slow stage, so the first execution still runs when the second request comes
    const slowDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sfn-slow-'));
    const slow = await startStage(slowDir, 60_000);
    try {
      const request = { stateMachineArn: GREET_ARN, name: 'twice', input: '{"who":"a"}' };
      const first = await slow.client.send(new StartExecutionCommand(request));
      // Act
      const again = await slow.client.send(new StartExecutionCommand(request));
      const otherInput = await errorOf(slow.client.send(new StartExecutionCommand({ ...request, input: '{"who":"b"}' })));
      const stopped = await slow.client.send(
        new StopExecutionCommand({ executionArn: first.executionArn, error: 'Operator', cause: 'test' }),
      );
      await slow.stepFunctions.settle();
      const afterEnd = await errorOf(slow.client.send(new StartExecutionCommand(request)));
      const described = await slow.client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
      // Assess
      expect(again.executionArn).toBe(first.executionArn);
      expect(otherInput.name).toBe('ExecutionAlreadyExists');
      expect(afterEnd).toEqual({ name: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${first.executionArn}'` });
      expect(stopped.stopDate).toBeInstanceOf(Date);
      expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'test' });
    } finally {
      await slow.close();
      rmSync(slowDir, { recursive: true, force: true });
    }
  });

  it('lists executions newest first, maxResults a page with a nextToken, statusFilter', async () => {
    // Prepare
    const { executionArn } = await stage.client.send(new StartExecutionCommand({ stateMachineArn: BREAK_ARN, name: 'broken' }));
    await ended(stage.client, executionArn ?? '');
    for (const name of ['b-1', 'b-2']) await stage.client.send(new StartExecutionCommand({ stateMachineArn: BREAK_ARN, name }));
    await stage.stepFunctions.settle();
    // Act
    const first = await stage.client.send(new ListExecutionsCommand({ stateMachineArn: BREAK_ARN, maxResults: 2 }));
    const second = await stage.client.send(
      new ListExecutionsCommand({ stateMachineArn: BREAK_ARN, maxResults: 2, nextToken: first.nextToken }),
    );
    const failed = await stage.client.send(new ListExecutionsCommand({ stateMachineArn: BREAK_ARN, statusFilter: 'FAILED' }));
    const succeeded = await stage.client.send(new ListExecutionsCommand({ stateMachineArn: BREAK_ARN, statusFilter: 'SUCCEEDED' }));
    const described = await stage.client.send(new DescribeExecutionCommand({ executionArn }));
    // Assess
    expect([...(first.executions ?? []), ...(second.executions ?? [])].map((e) => e.name).sort()).toEqual(['b-1', 'b-2', 'broken']);
    expect(first.executions).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();
    expect(failed.executions).toHaveLength(3);
    expect(succeeded.executions).toEqual([]);
    expect(described).toMatchObject({ status: 'FAILED', error: 'Broken', cause: 'on purpose' });
  });

  it('lists and describes its state machines', async () => {
    // Act
    const listed = await stage.client.send(new ListStateMachinesCommand({}));
    const described = await stage.client.send(new DescribeStateMachineCommand({ stateMachineArn: GREET_ARN }));
    // Assess
    expect(listed.stateMachines?.map((m) => [m.name, m.type])).toEqual([
      ['greet', 'STANDARD'],
      ['break', 'STANDARD'],
    ]);
    expect(described).toMatchObject({ name: 'greet', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition ?? '')).toEqual(GREET);
  });

  it.each([
    [
      'an unknown execution',
      new DescribeExecutionCommand({ executionArn: `${GREET_ARN.replace('stateMachine', 'execution')}:nope` }),
      'ExecutionDoesNotExist',
    ],
    ['a malformed ARN', new DescribeExecutionCommand({ executionArn: 'not-an-arn' }), 'InvalidArn'],
    ['a state machine ARN for an execution', new GetExecutionHistoryCommand({ executionArn: GREET_ARN }), 'InvalidArn'],
    [
      'an unknown state machine',
      new StartExecutionCommand({ stateMachineArn: LocalStepFunctions.stateMachineArn('nope') }),
      'StateMachineDoesNotExist',
    ],
    ['input that is not JSON', new StartExecutionCommand({ stateMachineArn: GREET_ARN, input: '{oops' }), 'InvalidExecutionInput'],
    ['a name with a space', new StartExecutionCommand({ stateMachineArn: GREET_ARN, name: 'a b' }), 'InvalidName'],
    ['a page over 1000', new ListExecutionsCommand({ stateMachineArn: GREET_ARN, maxResults: 1001 }), 'ValidationException'],
    ['a token it did not give', new ListExecutionsCommand({ stateMachineArn: GREET_ARN, nextToken: 'bogus' }), 'InvalidToken'],
  ] as const)('answers %s with %s', async (_what, command, name) => {
    // Act
    const error = await errorOf(stage.client.send(command as never));
    // Assess
    expect(error.name).toBe(name);
  });

  it("refuses a statusFilter outside ExecutionStatus with the service's validation message", async () => {
    // Act
    const error = await errorOf(
      stage.client.send(new ListExecutionsCommand({ stateMachineArn: GREET_ARN, statusFilter: 'Bogus' as never })),
    );
    // Assess
    expect(error).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'Bogus' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]",
    });
  });
});

describe('local Step Functions across a restart', () => {
  it('describes, lists and gives the history of ended executions; one left RUNNING comes back ABORTED', async () => {
    // Prepare: one execution ended, one still running when the next process opens the same folder
    const restartDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sfn-restart-'));
    const before = await startStage(restartDir, 60_000);
    const breaking = await before.client.send(new StartExecutionCommand({ stateMachineArn: BREAK_ARN, name: 'ended' }));
    const running = await before.client.send(
      new StartExecutionCommand({ stateMachineArn: GREET_ARN, name: 'running', input: '{"who":"x"}' }),
    );
    await before.stepFunctions.executions.find((execution) => execution.executionName === 'ended')?.outcome;
    await before.stepFunctions.flushed();
    const endedBefore = await before.client.send(new GetExecutionHistoryCommand({ executionArn: breaking.executionArn }));
    // Act: a new service on the same folder while the first one's execution still runs (a process that died)
    const after = await startStage(restartDir, 10);
    try {
      const describedEnded = await after.client.send(new DescribeExecutionCommand({ executionArn: breaking.executionArn }));
      const describedRunning = await after.client.send(new DescribeExecutionCommand({ executionArn: running.executionArn }));
      const history = await after.client.send(new GetExecutionHistoryCommand({ executionArn: breaking.executionArn }));
      const listed = await after.client.send(new ListExecutionsCommand({ stateMachineArn: GREET_ARN }));
      const reused = await errorOf(
        after.client.send(new StartExecutionCommand({ stateMachineArn: GREET_ARN, name: 'running', input: '{"who":"x"}' })),
      );
      // Assess
      expect(describedEnded).toMatchObject({ status: 'FAILED', error: 'Broken', cause: 'on purpose' });
      expect(describedRunning).toMatchObject({ status: 'ABORTED', ...ORPHANED_EXECUTION });
      expect(history.events?.map((event) => event.type)).toEqual(endedBefore.events?.map((event) => event.type));
      expect(listed.executions?.map((e) => [e.name, e.status])).toEqual([['running', 'ABORTED']]);
      expect(reused.name).toBe('ExecutionAlreadyExists');
    } finally {
      await after.close();
      before.stepFunctions.stopAll();
      await before.close();
      rmSync(restartDir, { recursive: true, force: true });
    }
  });
});
