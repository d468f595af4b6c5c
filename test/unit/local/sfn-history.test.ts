/** GetExecutionHistory's events from the local runner's (local/sfn/history.ts): a Task's attempts, a Map's iterations. */
import { describe, expect, it } from 'vitest';
import type { StoredExecution } from '../../../local/sfn/execution-store';
import { historyEvents, taskResource } from '../../../local/sfn/history';

const execution = (events: StoredExecution['events'], overrides: Partial<StoredExecution> = {}): StoredExecution => ({
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:e',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
  stateMachineName: 'm',
  name: 'e',
  status: 'SUCCEEDED',
  startDate: new Date(0).toISOString(),
  input: { runId: 'r' },
  output: { done: true },
  events,
  ...overrides,
});

describe('historyEvents', () => {
  it("writes a retried Task as AWS does: Scheduled and Started per attempt, the failed attempt's error, then Succeeded", () => {
    // Prepare
    const task = { stateName: 'CreateTrainingJob', stateType: 'Task' };
    const events = [
      { type: 'ExecutionStarted', timestamp: 1000 },
      { type: 'StateEntered', ...task, timestamp: 2000 },
      { type: 'StateFailed', ...task, error: 'SageMaker.ThrottlingException', cause: 'slow down', timestamp: 3000 },
      { type: 'StateRetried', ...task, timestamp: 4000 },
      { type: 'StateExited', ...task, output: { TrainingJobArn: 'arn' }, timestamp: 5000 },
      { type: 'ExecutionSucceeded', timestamp: 6000 },
    ];
    const resources = { CreateTrainingJob: taskResource('arn:aws:states:::sagemaker:createTrainingJob') };
    // Act
    const history = historyEvents(execution(events), resources);
    // Assess
    expect(history.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[2]).toMatchObject({
      taskScheduledEventDetails: { resourceType: 'sagemaker', resource: 'createTrainingJob', region: 'us-east-1' },
    });
    expect(history[4]).toMatchObject({
      taskFailedEventDetails: {
        resourceType: 'sagemaker',
        resource: 'createTrainingJob',
        error: 'SageMaker.ThrottlingException',
        cause: 'slow down',
      },
    });
    expect(history[7]).toMatchObject({ taskSucceededEventDetails: { output: '{"TrainingJobArn":"arn"}' } });
    expect(history[0]).toMatchObject({
      executionStartedEventDetails: { input: '{"runId":"r"}' },
      timestamp: 1000,
      id: 1,
      previousEventId: 0,
    });
    expect(history.at(-1)).toMatchObject({ executionSucceededEventDetails: { output: '{"done":true}' } });
  });

  it("names a Lambda reference's Task events lambda/invoke, and a Map's iterations by the Map and index", () => {
    // Prepare
    const events = [
      { type: 'StateEntered', stateName: 'OcrDocuments', stateType: 'Map', timestamp: 1 },
      { type: 'MapIterationStarted', mapStateName: 'OcrDocuments', iteration: 0, timestamp: 2 },
      { type: 'MapIterationFailed', mapStateName: 'OcrDocuments', iteration: 0, timestamp: 3 },
      { type: 'StateFailed', stateName: 'OcrDocuments', stateType: 'Map', timestamp: 4 },
      { type: 'ExecutionFailed', error: 'States.TaskFailed', cause: 'boom', timestamp: 5 },
    ];
    // Act
    const history = historyEvents(execution(events, { status: 'FAILED' }), {});
    // Assess
    expect(taskResource({ 'Fn::GetAtt': ['PlanBatchesLambdaFunction', 'Arn'] })).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    expect(history.map((event) => event.type)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'MapIterationFailed',
      'MapStateFailed',
      'ExecutionFailed',
    ]);
    expect(history[2]).toMatchObject({ mapIterationStartedEventDetails: { name: 'OcrDocuments', index: 0 } });
    expect(history.at(-1)).toMatchObject({ executionFailedEventDetails: { error: 'States.TaskFailed', cause: 'boom' } });
  });
});
