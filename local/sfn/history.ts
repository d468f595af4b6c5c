/**
 * GetExecutionHistory's events from the local runner's (aws-local-stepfunctions' event stream,
 * local/stepfunctions.ts ExecutionEvent), in Step Functions' shapes: `id` from 1, `timestamp`, `type`
 * (HistoryEventType) and the type's details member. The same expansion as historyEventCount
 * (local/stepfunctions.ts): a state is `<Type>StateEntered` .. `<Type>StateExited`, a Task adds
 * TaskScheduled + TaskStarted per attempt and TaskSucceeded or TaskFailed, a Map MapStateStarted and
 * MapStateSucceeded. Approximated: `previousEventId` is the event before it (AWS links a Task's
 * events to its Scheduled event, an iteration's to its Map's); every Task is a `Task*` event with its
 * Resource's service and action (AWS writes `LambdaFunction*` events for a Lambda ARN resource), and
 * TaskScheduled's `parameters` are `{}`; the states' inputs are not recorded (StateEntered has its
 * name only); the events a local step expands into share its timestamp.
 */
import type { StoredExecution } from './execution-store';

type Event = StoredExecution['events'][number];

/** A Task state's resource as Task events name it: `lambda`/`invoke`, `sagemaker`/`createTrainingJob`, ... */
export interface TaskResource {
  resourceType: string;
  resource: string;
}

const SERVICE_INTEGRATION = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9]+):([A-Za-z0-9]+)/;

/** The Task events' resourceType and resource for a Task state's Resource (a Lambda reference or ARN: lambda invoke). */
export const taskResource = (resource: unknown): TaskResource => {
  const match = typeof resource === 'string' ? SERVICE_INTEGRATION.exec(resource) : null;
  return match === null ? { resourceType: 'lambda', resource: 'invoke' } : { resourceType: match[1] ?? '', resource: match[2] ?? '' };
};

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

const text = (value: unknown): string => JSON.stringify(value ?? null);
const errorDetails = (event: Event) => ({
  ...(event.error === undefined ? {} : { error: event.error }),
  ...(event.cause === undefined ? {} : { cause: event.cause }),
});

/** One local event as the history events (type and details) AWS writes for it. */
const expand = (event: Event, execution: StoredExecution, resources: Readonly<Record<string, TaskResource>>) => {
  const stateType = event.stateType ?? 'Pass';
  const name = event.stateName ?? '';
  const resource = resources[name] ?? taskResource(undefined);
  const scheduled = [
    { type: 'TaskScheduled', taskScheduledEventDetails: { ...resource, region: regionOf(execution.executionArn), parameters: '{}' } },
    { type: 'TaskStarted', taskStartedEventDetails: resource },
  ];
  const mapIteration = { name: event.mapStateName ?? '', index: event.iteration ?? 0 };
  switch (event.type) {
    case 'ExecutionStarted':
      return [
        { type: 'ExecutionStarted', executionStartedEventDetails: { input: text(execution.input), inputDetails: { truncated: false } } },
      ];
    case 'ExecutionSucceeded':
      return [
        {
          type: 'ExecutionSucceeded',
          executionSucceededEventDetails: { output: text(execution.output), outputDetails: { truncated: false } },
        },
      ];
    case 'ExecutionFailed':
      return [{ type: 'ExecutionFailed', executionFailedEventDetails: errorDetails(event) }];
    case 'ExecutionTerminated':
    case 'ExecutionAborted':
      return [{ type: 'ExecutionAborted', executionAbortedEventDetails: errorDetails(event) }];
    case 'StateEntered':
      return [
        { type: `${stateType}StateEntered`, stateEnteredEventDetails: { name } },
        ...(stateType === 'Task' ? scheduled : []),
        ...(stateType === 'Map' || stateType === 'Parallel' ? [{ type: `${stateType}StateStarted` }] : []),
      ];
    case 'StateExited':
      // A Fail state only enters.
      if (stateType === 'Fail') return [];
      return [
        ...(stateType === 'Task'
          ? [
              {
                type: 'TaskSucceeded',
                taskSucceededEventDetails: { ...resource, output: text(event.output), outputDetails: { truncated: false } },
              },
            ]
          : []),
        ...(stateType === 'Map' || stateType === 'Parallel' ? [{ type: `${stateType}StateSucceeded` }] : []),
        {
          type: `${stateType}StateExited`,
          stateExitedEventDetails: { name, output: text(event.output), outputDetails: { truncated: false } },
        },
      ];
    case 'StateFailed':
      if (stateType === 'Task') return [{ type: 'TaskFailed', taskFailedEventDetails: { ...resource, ...errorDetails(event) } }];
      return stateType === 'Map' || stateType === 'Parallel' ? [{ type: `${stateType}StateFailed` }] : [];
    case 'StateRetried':
      return stateType === 'Task' ? scheduled : [];
    case 'MapIterationStarted':
      return [{ type: 'MapIterationStarted', mapIterationStartedEventDetails: mapIteration }];
    case 'MapIterationSucceeded':
      return [{ type: 'MapIterationSucceeded', mapIterationSucceededEventDetails: mapIteration }];
    case 'MapIterationFailed':
      return [{ type: 'MapIterationFailed', mapIterationFailedEventDetails: mapIteration }];
    default:
      // StateCaught, ParallelBranch*: AWS writes no event of their own.
      return [];
  }
};

const regionOf = (arn: string): string => arn.split(':')[3] ?? '';

/** The execution's history, oldest first, with ids from 1. */
export const historyEvents = (execution: StoredExecution, resources: Readonly<Record<string, TaskResource>>): HistoryEvent[] => {
  const events: HistoryEvent[] = [];
  for (const event of execution.events) {
    for (const expanded of expand(event, execution, resources)) {
      const id = events.length + 1;
      events.push({ ...expanded, id, previousEventId: id - 1, timestamp: event.timestamp });
    }
  }
  return events;
};
