/** The local runtime's generic Task routing, on small definitions (the full pipeline is in test/integration). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../local/dynamodb';
import {
  MAX_STATE_PAYLOAD_BYTES,
  historyEventCount,
  prepareStateMachine,
  runExecution,
  scaleRetryTimes,
  serviceIntegrationHandler,
} from '../../../local/stepfunctions';
import { lambdaLogicalId, type FunctionEntry } from '../../../local/serverless-project';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { destroyAwsClients, type AwsClients } from '../../../src/aws/clients';
import { deploymentSettingsSchema } from '../../../src/contracts/settings';
import { localAwsClients } from '../../../local/clients';
import { localHandlerDeps, type LocalHandlerDeps } from '../../../local/handler-deps';
import { localObservability } from '../../../local/observability';
import { loadServerlessProject } from '../../../local/serverless-project';
import { localSettingsEnvironment } from '../../../local/services';

const validateInput: FunctionEntry = {
  key: 'validateInput',
  logicalId: lambdaLogicalId('validateInput'),
  step: 'validate-input',
  modulePath: new URL('../../../functions/validate-input/handler.ts', import.meta.url).pathname,
  exportName: 'handler',
  factoryName: 'createValidateInputHandler',
  eventPatterns: [],
};

const ROOT = new URL('../../..', import.meta.url).pathname;
/** Nothing listens there: the routing tests only reach DynamoDB. */
const UNUSED = 'http://127.0.0.1:9';

let dynamo: LocalDynamoDB;
let clients: AwsClients;
let deps: LocalHandlerDeps;

beforeAll(async () => {
  dynamo = await startLocalDynamoDB();
  clients = localAwsClients({
    s3: UNUSED,
    dynamodb: dynamo.endpoint,
    textract: UNUSED,
    sagemaker: UNUSED,
    ecr: UNUSED,
    serviceQuotas: UNUSED,
    eventbridge: UNUSED,
  });
  const settings = deploymentSettingsSchema.parse(localSettingsEnvironment(loadServerlessProject(ROOT).stageConfig('local')));
  deps = localHandlerDeps(clients, settings, localObservability());
  await clients.dynamo.send(
    new CreateTableCommand({
      TableName: 'items',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  destroyAwsClients(clients);
  await dynamo.close();
});

describe('prepareStateMachine', () => {
  it('routes a Lambda reference to its function and replaces it by a placeholder ARN', () => {
    // Prepare
    const definition = {
      StartAt: 'Validate',
      States: { Validate: { Type: 'Task', Resource: { 'Fn::GetAtt': ['ValidateInputLambdaFunction', 'Arn'] }, End: true } },
    };

    // Act
    const prepared = prepareStateMachine(definition, [validateInput], deps);

    // Assess
    expect(Object.keys(prepared.handlers)).toEqual(['Validate']);
    expect((prepared.definition.States['Validate'] as { Resource: string }).Resource).toMatch(/^arn:aws:lambda:.*validateInput$/);
    expect(definition.States.Validate.Resource).toEqual({ 'Fn::GetAtt': ['ValidateInputLambdaFunction', 'Arn'] });
  });

  it('refuses a reference to a function serverless.yml does not have, naming the state', () => {
    const definition = {
      StartAt: 'A',
      States: { A: { Type: 'Task', Resource: { 'Fn::GetAtt': ['GhostLambdaFunction', 'Arn'] }, End: true } },
    };
    expect(() => prepareStateMachine(definition, [validateInput], deps)).toThrow(/state A references GhostLambdaFunction/);
  });

  it('refuses Task names used twice (handlers are keyed by state name), including inside a Map', () => {
    const task = { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', End: true };
    const definition = {
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'Get', States: { Get: task } }, Next: 'Get' }, Get: task },
    };
    expect(() => prepareStateMachine(definition, [], deps)).toThrow(/Get is used twice/);
  });

  it('names integration patterns it cannot run instead of calling real AWS', () => {
    expect(() => serviceIntegrationHandler('arn:aws:states:::sagemaker:createTrainingJob.sync', clients)).toThrow(/\.sync/);
    expect(() => serviceIntegrationHandler('arn:aws:states:::sns:publish', clients)).toThrow(/no route/);
    expect(() => serviceIntegrationHandler('arn:aws:states:::aws-sdk:sagemaker:describeNothing', clients)).toThrow(
      /DescribeNothingCommand/,
    );
  });
});

describe('runExecution', () => {
  it('sends service integrations as SDK calls and reports service errors with the Step Functions prefix', async () => {
    // Prepare
    const definition = {
      StartAt: 'Put',
      States: {
        Put: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: 'items', Item: { pk: { 'S.$': '$.id' } } },
          ResultPath: null,
          Next: 'Get',
        },
        Get: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
          Parameters: { TableName: 'items', Key: { pk: { 'S.$': '$.id' } } },
          ResultSelector: { 'pk.$': '$.Item.pk.S' },
          Next: 'Missing',
        },
        Missing: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:getItem',
          Parameters: { TableName: 'nope', Key: { pk: { S: 'x' } } },
          End: true,
        },
      },
    };
    const prepared = prepareStateMachine(definition, [], deps);

    // Act
    const outcome = await runExecution(prepared, { id: 'doc-1' }, { stateMachineName: 'routing-test' });

    // Assess
    const exited = outcome.events.find((event) => event.type === 'StateExited' && event.stateName === 'Get');
    expect(exited?.output).toEqual({ pk: 'doc-1' });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('DynamoDB.ResourceNotFoundException');
  });

  it('reports a Lambda error like the Lambda service: Error = error name, Cause = JSON with errorMessage', async () => {
    // Prepare
    const definition = {
      StartAt: 'Validate',
      States: { Validate: { Type: 'Task', Resource: { 'Fn::GetAtt': ['ValidateInputLambdaFunction', 'Arn'] }, End: true } },
    };

    // Act: the handler's event lacks executionName
    const outcome = await runExecution(prepareStateMachine(definition, [validateInput], deps), { input: {} }, { stateMachineName: 't' });

    // Assess
    expect(outcome.error).toBe('InvalidInputError');
    const cause = JSON.parse(outcome.cause ?? '{}') as { errorType: string; errorMessage: string };
    expect(cause.errorType).toBe('InvalidInputError');
    expect(cause.errorMessage).toContain('executionName');
  });
});

describe('runExecution: Step Functions payload quota', () => {
  const passing = (bytes: number) => ({
    StartAt: 'Big',
    States: {
      Big: { Type: 'Pass', Result: { blob: 'x'.repeat(bytes) }, Next: 'After' },
      After: { Type: 'Pass', End: true },
    },
  });

  it('fails the execution with States.DataLimitExceeded when a state outputs more than 256 KiB', async () => {
    // Act
    const outcome = await runExecution(prepareStateMachine(passing(MAX_STATE_PAYLOAD_BYTES), [], deps), {}, { stateMachineName: 'quota' });

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('States.DataLimitExceeded');
    expect(outcome.cause).toMatch(/'Big' returned a result with a size of \d+ bytes/);
    expect(outcome.output).toBeUndefined();
  });

  it('lets a state output just under the quota through', async () => {
    const outcome = await runExecution(
      prepareStateMachine(passing(MAX_STATE_PAYLOAD_BYTES - 64), [], deps),
      {},
      { stateMachineName: 'quota' },
    );
    expect(outcome.status).toBe('SUCCEEDED');
  });
});

describe('runExecution: Retry backoff in scaled time', () => {
  it("scales every retrier's IntervalSeconds and MaxDelaySeconds, Map iterations included, and nothing else", () => {
    // Prepare
    const retry = {
      ErrorEquals: ['ThrottlingError'],
      IntervalSeconds: 2,
      MaxAttempts: 8,
      BackoffRate: 2,
      MaxDelaySeconds: 60,
      JitterStrategy: 'FULL',
    };
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Inner',
            States: { Inner: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', Retry: [retry], End: true } },
          },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
          End: true,
        },
      },
    };
    // Act
    const scaled = scaleRetryTimes(definition, 0.01) as typeof definition;
    // Assess
    expect(scaled.States.M.ItemProcessor.States.Inner.Retry).toEqual([{ ...retry, IntervalSeconds: 0.02, MaxDelaySeconds: 0.6 }]);
    // IntervalSeconds defaults to 1 s on AWS, so 0.01 s scaled; no MaxDelaySeconds stays none.
    expect(scaled.States.M.Retry).toEqual([{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 0.01 }]);
    expect(definition.States.M.ItemProcessor.States.Inner.Retry[0]).toBe(retry);
    expect(() => scaleRetryTimes(definition, 0)).toThrow(/> 0/);
  });

  it('waits IntervalSeconds x BackoffRate^attempt (scaled) between attempts, not one fixed interval', async () => {
    // Prepare: a Task that always fails (no such table), retried 4 times at 1 s x 3^n, without jitter.
    const definition = {
      StartAt: 'Get',
      States: {
        Get: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:getItem',
          Parameters: { TableName: 'missing', Key: { pk: { S: 'x' } } },
          Retry: [
            {
              ErrorEquals: ['DynamoDB.ResourceNotFoundException'],
              IntervalSeconds: 1,
              BackoffRate: 3,
              MaxAttempts: 4,
              JitterStrategy: 'NONE',
            },
          ],
          End: true,
        },
      },
    };
    // Act
    const outcome = await runExecution(
      prepareStateMachine(definition, [], deps),
      {},
      { stateMachineName: 'backoff', retryTimeScale: 0.01 },
    );
    // Assess: 10, 30, 90, 270 ms at least before each retry (timers never fire early; a loaded machine only adds).
    expect(outcome.status).toBe('FAILED');
    const entered = outcome.events.find((event) => event.type === 'StateEntered')?.timestamp ?? NaN;
    const retried = outcome.events.filter((event) => event.type === 'StateRetried').map((event) => event.timestamp);
    expect(retried).toHaveLength(4);
    const gaps = retried.map((at, i) => at - (i === 0 ? entered : (retried[i - 1] as number)));
    // Date.now() has 1 ms steps: allow 1 ms below each wait.
    [10, 30, 90, 270].forEach((wait, i) => expect(gaps[i], `wait before retry ${i + 1}`).toBeGreaterThanOrEqual(wait - 1));
  });
});

describe('historyEventCount', () => {
  it('counts the events AWS writes to a Standard execution history, a retried Task attempt included', async () => {
    // Prepare: Wait -> Task (fails once, retried) -> Choice -> Succeed.
    let calls = 0;
    const definition = {
      StartAt: 'Pause',
      States: {
        Pause: { Type: 'Wait', Seconds: 0, Next: 'Work' },
        Work: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution',
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2 }],
          Next: 'Route',
        },
        Route: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: false, Next: 'Pause' }], Default: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const prepared = prepareStateMachine(definition, [], deps, {
      localIntegration: () => () => (++calls === 1 ? Promise.reject(new Error('flaky')) : Promise.resolve({ ok: true })),
    });

    // Act
    const outcome = await runExecution(prepared, {}, { stateMachineName: 'history', retryTimeScale: 0.001 });

    // Assess: ExecutionStarted; Wait 2; Task entered + scheduled + started, failed, scheduled + started,
    // succeeded + exited (8); Choice 2; Succeed 2; ExecutionSucceeded.
    expect(outcome.status).toBe('SUCCEEDED');
    expect(historyEventCount(outcome.events)).toBe(1 + 2 + 8 + 2 + 2 + 1);
    expect(outcome.historyEvents).toBe(16);
  });
});
