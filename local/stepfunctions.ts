/**
 * Runs the real ASL definition with aws-local-stepfunctions, routing every Task generically:
 *  - a Lambda reference (Fn::GetAtt [<Fn>LambdaFunction, Arn]) calls that function's handler in-process,
 *    built by its module's factory with the local runtime's clients and settings (local/handler-deps.ts),
 *    with Lambda's error and serialisation semantics;
 *  - `arn:aws:states:::<service>:<action>` and `arn:aws:states:::aws-sdk:<service>:<action>` become the
 *    AWS SDK command of that name, sent with the local runtime's client of that service.
 * Nothing here knows a state by name: a new state in the definition needs no change here.
 */
import './promise-with-resolvers';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import * as s3Sdk from '@aws-sdk/client-s3';
import * as sagemakerSdk from '@aws-sdk/client-sagemaker';
import * as textractSdk from '@aws-sdk/client-textract';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../src/aws/clients';

/** The clients service integrations are sent with (LocalHandlerDeps carries them under the same names). */
type IntegrationClients = Pick<AwsClients, 's3' | 'dynamo' | 'textract' | 'sagemaker'>;
import type { LocalHandlerDeps } from './handler-deps';
import type { FunctionEntry } from './serverless-project';
import {
  inlineDistributedMaps,
  itemReaderHandler,
  LOCAL_ITEMS_CONTEXT_KEY,
  type DistributedMapTranslation,
  type LocalItemStore,
} from './distributed-map';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type TaskHandler = (input: Json) => Promise<Json>;

/** An error as Step Functions reports it: `Error` is the name, `Cause` the message (no nested cause). */
export class TaskError extends Error {
  public constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface SdkModule {
  /** The local runtime's client of this service. */
  client: (clients: IntegrationClients) => { send(command: unknown): Promise<unknown> };
  commands: Record<string, unknown>;
  /** The prefix Step Functions puts on this service's error names, e.g. SageMaker.ResourceInUseException. */
  errorPrefix: string;
}

// The SDK's client and command classes are generic over their own input types; the routing only needs this shape.
// The DynamoDB integration takes DynamoDB JSON (typed attribute values): the plain client under the document client.
const SDK_MODULES = {
  sagemaker: { client: (clients: IntegrationClients) => clients.sagemaker, commands: sagemakerSdk, errorPrefix: 'SageMaker' },
  dynamodb: { client: (clients: IntegrationClients) => clients.dynamo, commands: dynamodbSdk, errorPrefix: 'DynamoDB' },
  s3: { client: (clients: IntegrationClients) => clients.s3, commands: s3Sdk, errorPrefix: 'S3' },
  textract: { client: (clients: IntegrationClients) => clients.textract, commands: textractSdk, errorPrefix: 'Textract' },
} as unknown as Record<string, SdkModule>;

/** Step Functions hands states JSON: dates become ISO strings, undefined members disappear. */
const toJson = (value: unknown): Json => JSON.parse(JSON.stringify(value ?? null)) as Json;

const SERVICE_INTEGRATION = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9]+):([A-Za-z0-9]+)(\.sync|\.waitForTaskToken)?$/;

export const serviceIntegrationHandler = (resource: string, clients: IntegrationClients): TaskHandler => {
  const match = SERVICE_INTEGRATION.exec(resource);
  const [, service = '', action = '', pattern] = match ?? [];
  if (match && service === 'states' && !pattern) {
    // Step Functions' own integrations need the executions of this runtime: LocalStepFunctions
    // (local/executions.ts) serves them; a machine prepared without it fails only if it reaches one.
    return () =>
      Promise.reject(
        new TaskError('States.Runtime', `Local runtime: ${resource} needs the local Step Functions service (local/executions.ts)`),
      );
  }
  const sdk = SDK_MODULES[service];
  if (!match || !sdk) throw new Error(`Local runtime: no route for Task resource ${resource}`);
  if (pattern) throw new Error(`Local runtime: the ${pattern} integration pattern is not supported (${resource})`);
  const commandName = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
  const Command = sdk.commands[commandName] as (new (input: unknown) => unknown) | undefined;
  if (!Command) throw new Error(`Local runtime: ${service} has no SDK command ${commandName} (${resource})`);
  const client = sdk.client(clients);
  return async (input) => {
    try {
      const output = (await client.send(new Command(input))) as Record<string, unknown>;
      const { $metadata: _metadata, ...result } = output;
      return toJson(result);
    } catch (error) {
      // Step Functions names service errors `<Service>.<Name>Exception`, appending the suffix where the
      // API's own error name lacks it (SageMaker's ResourceInUse -> SageMaker.ResourceInUseException).
      const name = (error as { name?: string }).name ?? 'Error';
      const exceptionName = name.endsWith('Exception') ? name : `${name}Exception`;
      throw new TaskError(`${sdk.errorPrefix}.${exceptionName}`, (error as Error).message ?? String(error));
    }
  };
};

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * In-process Lambda: JSON in, JSON out, errors as {errorType, errorMessage} like the Lambda service. The
 * handler is built once, on first use, by the module's factory with `deps` (what a cold start does).
 */
export const lambdaHandler = (fn: FunctionEntry, deps: LocalHandlerDeps): TaskHandler => {
  let loaded: Promise<Handler> | undefined;
  return async (input) => {
    loaded ??= import(pathToFileURL(fn.modulePath).href).then((module: Record<string, unknown>) => {
      const factory = module[fn.factoryName];
      if (typeof factory !== 'function') throw new Error(`${fn.modulePath} does not export the handler factory ${fn.factoryName}`);
      // Each factory takes a part of LocalHandlerDeps (checked by test/unit/local/wiring.test.ts) and returns a handler.
      return (factory as (deps: LocalHandlerDeps) => Handler)(deps);
    });
    const handler = await loaded;
    const started = Date.now();
    const context = {
      functionName: `doctrain-local-${fn.key}`,
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, 900_000 - (Date.now() - started)),
    };
    try {
      return toJson(await handler(toJson(input), context));
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      throw new TaskError(
        err.name,
        JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') }),
      );
    }
  };
};

type StateNode = Record<string, unknown>;

/** Every state of a definition, nested Map and Parallel states included. */
export const walkStates = function* (definition: StateNode): Generator<[string, StateNode]> {
  for (const [name, state] of Object.entries((definition['States'] ?? {}) as Record<string, StateNode>)) {
    yield [name, state];
    for (const nested of [state['ItemProcessor'], state['Iterator'], ...((state['Branches'] as StateNode[] | undefined) ?? [])]) {
      if (nested) yield* walkStates(nested as StateNode);
    }
  }
};

export interface PreparedStateMachine {
  definition: StateMachineDefinition;
  handlers: Record<string, TaskHandler>;
  waitStates: string[];
  /** Distributed Maps run as inline iterations (local/distributed-map.ts); their readers get handlers per execution. */
  distributedMaps: DistributedMapTranslation[];
  /** The local S3 client the Distributed Maps' ItemReaders read with. */
  itemReaderS3: S3Client;
}

/**
 * Replaces Lambda references by placeholder ARNs (the library wants strings) and builds one handler per
 * Task state. Task state names must be unique across the definition, as the library keys handlers by name.
 * Distributed Maps become a reader Task + an inline Map (local/distributed-map.ts).
 */
export const prepareStateMachine = (
  source: StateNode,
  functions: readonly FunctionEntry[],
  deps: LocalHandlerDeps,
  options: {
    /** Integrations the local runtime serves itself (e.g. `states:startExecution`); undefined: the SDK route. */
    localIntegration?: (resource: string) => TaskHandler | undefined;
  } = {},
): PreparedStateMachine => {
  const definition = structuredClone(source);
  const handlers: Record<string, TaskHandler> = {};
  const waitStates: string[] = [];
  const byLogicalId = new Map(functions.map((fn) => [fn.logicalId, fn]));
  for (const [name, state] of walkStates(definition)) {
    if (state['Type'] === 'Wait') waitStates.push(name);
    if (state['Type'] !== 'Task') continue;
    if (handlers[name]) throw new Error(`Local runtime: Task state name ${name} is used twice`);
    const resource = state['Resource'];
    const getAtt = (resource as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
    if (typeof resource === 'string') {
      handlers[name] = options.localIntegration?.(resource) ?? serviceIntegrationHandler(resource, deps);
    } else if (getAtt) {
      const fn = byLogicalId.get(getAtt[0]);
      if (!fn) throw new Error(`Local runtime: state ${name} references ${getAtt[0]}, which is no function in serverless.yml`);
      handlers[name] = lambdaHandler(fn, deps);
      state['Resource'] = `arn:aws:lambda:us-east-1:000000000000:function:doctrain-local-${fn.key}`;
    } else {
      throw new Error(`Local runtime: state ${name} has a Resource the local runtime cannot route: ${JSON.stringify(resource)}`);
    }
  }
  const distributedMaps = inlineDistributedMaps(definition);
  for (const { readerState } of distributedMaps) {
    if (handlers[readerState]) throw new Error(`Local runtime: Task state name ${readerState} is used twice`);
  }
  return { definition: definition as unknown as StateMachineDefinition, handlers, waitStates, distributedMaps, itemReaderS3: deps.s3 };
};

/**
 * The definition with every Retry's times scaled (IntervalSeconds, default 1, and MaxDelaySeconds where
 * set); BackoffRate, MaxAttempts and JitterStrategy stay. aws-local-stepfunctions then computes the waits
 * as Step Functions does (IntervalSeconds x BackoffRate^attempt, capped by MaxDelaySeconds, FULL jitter
 * drawn in [0, wait]), in scaled time. Its own retryIntervalOverrides would replace all of that by one
 * fixed interval, without jitter: 8 attempts against a 1 TPS quota would all fail within a second.
 */
export const scaleRetryTimes = (definition: StateNode, scale: number): StateNode => {
  if (!(scale > 0)) throw new Error(`retryTimeScale must be > 0, got ${scale}`);
  const scaled = structuredClone(definition);
  for (const [, state] of walkStates(scaled)) {
    for (const retrier of (state['Retry'] as StateNode[] | undefined) ?? []) {
      retrier['IntervalSeconds'] = ((retrier['IntervalSeconds'] as number | undefined) ?? 1) * scale;
      if (typeof retrier['MaxDelaySeconds'] === 'number') retrier['MaxDelaySeconds'] = retrier['MaxDelaySeconds'] * scale;
    }
  }
  return scaled;
};

export interface ExecutionEvent {
  type: string;
  stateName?: string;
  stateType?: string;
  timestamp: number;
  error?: string;
  cause?: string;
  /** The state's output, on StateExited events. */
  output?: Json;
  /** Inside a Map: the iteration (item index) the event belongs to. */
  iteration?: number;
  /** On MapIteration* events: the Map state. */
  mapStateName?: string;
}

export interface ExecutionOutcome {
  executionName: string;
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: Json;
  error?: string;
  cause?: string;
  events: ExecutionEvent[];
  /** How many events AWS would have put in this execution's history (executionHistories' parent). */
  historyEvents: number;
  /** One entry per child execution a Distributed Map started (its iterations here): its history's events. */
  childHistoryEvents: number[];
}

/**
 * How many events a Standard workflow's execution history holds for these local events, as AWS writes them:
 * ExecutionStarted/Succeeded/Failed/Aborted; <Type>StateEntered and <Type>StateExited for every state
 * (a Fail state only enters); for a Task, <Kind>Scheduled + <Kind>Started per attempt and
 * <Kind>Succeeded or <Kind>Failed per outcome; for a Map, MapStateStarted/Succeeded and one
 * MapIterationStarted/Succeeded/Failed per item. The 25,000-event limit applies to this count.
 */
const historyWeight = (event: ExecutionEvent): number => {
  switch (event.type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'ExecutionTerminated':
    case 'ExecutionAborted':
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return 1;
    case 'StateEntered':
      // Entered, then a Task's first Scheduled + Started, a Map's or Parallel's Started.
      return 1 + (event.stateType === 'Task' ? 2 : event.stateType === 'Map' || event.stateType === 'Parallel' ? 1 : 0);
    case 'StateExited':
      // A Task's Succeeded, a Map's or Parallel's Succeeded, then Exited.
      return 1 + (event.stateType === 'Task' || event.stateType === 'Map' || event.stateType === 'Parallel' ? 1 : 0);
    case 'StateFailed':
      // A Task attempt's Failed (or TimedOut); other states fail into ExecutionFailed or a catcher.
      return event.stateType === 'Task' ? 1 : 0;
    case 'StateRetried':
      // The next attempt's Scheduled + Started.
      return event.stateType === 'Task' ? 2 : 0;
    default:
      return 0;
  }
};

export const historyEventCount = (events: readonly ExecutionEvent[]): number =>
  events.reduce((count, event) => count + historyWeight(event), 0);

/**
 * The histories AWS keeps for these local events where the definition had Distributed Maps: the parent
 * execution's (a Distributed Map is MapStateEntered, MapRunStarted, MapRunSucceeded/Failed, MapStateExited
 * there, none of its iterations; the local reader state is no AWS state) and one per child execution (an
 * iteration: ExecutionStarted, its states, ExecutionSucceeded/Failed).
 */
export const executionHistories = (
  events: readonly ExecutionEvent[],
  distributedMaps: readonly DistributedMapTranslation[],
): { parent: number; children: number[] } => {
  const maps = new Set(distributedMaps.map((map) => map.mapState));
  const readers = new Set(distributedMaps.map((map) => map.readerState));
  const childStates = new Map(distributedMaps.flatMap((map) => map.childStates.map((state) => [state, map.mapState] as const)));
  const children = new Map<string, number>();
  let parent = 0;
  for (const event of events) {
    const childOf =
      event.iteration === undefined
        ? undefined
        : event.mapStateName !== undefined
          ? maps.has(event.mapStateName)
            ? event.mapStateName
            : undefined
          : childStates.get(event.stateName ?? '');
    if (childOf !== undefined) {
      const child = `${childOf}#${event.iteration}`;
      children.set(child, (children.get(child) ?? 0) + historyWeight(event));
    } else if (!readers.has(event.stateName ?? '')) {
      parent += historyWeight(event);
    }
  }
  return { parent, children: [...children.values()] };
};

/**
 * Step Functions' quota on what one state passes on: 256 KiB of UTF-8 JSON. On AWS a state whose output is
 * larger fails the execution with States.DataLimitExceeded; the local runner enforces it on every state
 * (Map iterations included): the execution is aborted as soon as the oversized output is seen (a state or
 * two later, as the event log is read asynchronously) and ends FAILED, so a design that would break at
 * scale breaks here first.
 */
export const MAX_STATE_PAYLOAD_BYTES = 256 * 1024;

export interface StartExecutionOptions {
  stateMachineName: string;
  executionName?: string;
  /** Real waits are replaced by this many milliseconds (the poll loop's pace locally). */
  waitMs?: number;
  /**
   * Every Retry's times (IntervalSeconds, MaxDelaySeconds) multiplied by this, AWS's backoff otherwise
   * unchanged (BackoffRate, MaxAttempts, JitterStrategy): 0.01 turns 2 s, 4 s, 8 s ... into 20 ms, 40 ms,
   * 80 ms ... Default 1: AWS's own times.
   */
  retryTimeScale?: number;
  onEvent?: (event: ExecutionEvent) => void;
}

export interface StartedExecution {
  executionName: string;
  executionArn: string;
  /** StopExecution: the execution ends ABORTED (the state running now is abandoned). */
  abort(): void;
  outcome: Promise<ExecutionOutcome>;
}

export const runExecution = (prepared: PreparedStateMachine, input: Json, options: StartExecutionOptions): Promise<ExecutionOutcome> =>
  startExecution(prepared, input, options).outcome;

export const startExecution = (prepared: PreparedStateMachine, input: Json, options: StartExecutionOptions): StartedExecution => {
  const executionName = options.executionName ?? randomUUID();
  const executionArn = `arn:aws:states:us-east-1:000000000000:execution:${options.stateMachineName}:${executionName}`;
  const definition =
    options.retryTimeScale === undefined
      ? prepared.definition
      : (scaleRetryTimes(prepared.definition as unknown as StateNode, options.retryTimeScale) as unknown as StateMachineDefinition);
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
  // The items each Distributed Map iterates over, read by its reader state (local/distributed-map.ts).
  const items: LocalItemStore = {};
  const readers = Object.fromEntries(
    prepared.distributedMaps.map((map) => [map.readerState, itemReaderHandler(prepared.itemReaderS3, items, map)]),
  );
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: { ...prepared.handlers, ...readers },
      ...(options.waitMs === undefined
        ? {}
        : { waitTimeOverrides: Object.fromEntries(prepared.waitStates.map((n) => [n, options.waitMs as number])) }),
    },
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        Input: input,
        StartTime: new Date().toISOString(),
      },
      StateMachine: {
        Id: `arn:aws:states:us-east-1:000000000000:stateMachine:${options.stateMachineName}`,
        Name: options.stateMachineName,
      },
      [LOCAL_ITEMS_CONTEXT_KEY]: items,
    },
    noThrowOnAbort: true,
  });
  const events: ExecutionEvent[] = [];
  let dataLimit: { error: string; cause: string } | undefined;
  let aborted = false;
  const collecting = (async () => {
    for await (const log of execution.eventLogs) {
      const raw = log as unknown as {
        type: string;
        timestamp: number;
        state?: { name: string; type?: string; output?: Json };
        index?: number;
        parentState?: { name: string };
        Error?: string;
        Cause?: unknown;
      };
      const event: ExecutionEvent = {
        type: raw.type,
        timestamp: raw.timestamp,
        ...(raw.state ? { stateName: raw.state.name, ...(raw.state.type === undefined ? {} : { stateType: raw.state.type }) } : {}),
        ...(raw.type === 'StateExited' && raw.state?.output !== undefined ? { output: raw.state.output } : {}),
        ...(raw.index === undefined ? {} : { iteration: raw.index }),
        ...(raw.type.startsWith('MapIteration') && raw.parentState ? { mapStateName: raw.parentState.name } : {}),
        ...(raw.Error === undefined ? {} : { error: raw.Error }),
        ...(raw.Cause === undefined ? {} : { cause: typeof raw.Cause === 'string' ? raw.Cause : JSON.stringify(raw.Cause) }),
      };
      events.push(event);
      options.onEvent?.(event);
      if (event.output !== undefined && dataLimit === undefined) {
        const bytes = Buffer.byteLength(JSON.stringify(event.output), 'utf8');
        if (bytes > MAX_STATE_PAYLOAD_BYTES) {
          dataLimit = {
            error: 'States.DataLimitExceeded',
            cause: `The state/task '${event.stateName ?? '?'}' returned a result with a size of ${bytes} bytes, exceeding the maximum number of bytes service limit (${MAX_STATE_PAYLOAD_BYTES}): keep large data in S3 and pass pointers`,
          };
          execution.abort();
        }
      }
    }
  })();
  const outcome = (async (): Promise<ExecutionOutcome> => {
    const ended = (
      result: Omit<ExecutionOutcome, 'executionName' | 'events' | 'historyEvents' | 'childHistoryEvents'>,
    ): ExecutionOutcome => {
      const histories = executionHistories(events, prepared.distributedMaps);
      return { executionName, ...result, events, historyEvents: histories.parent, childHistoryEvents: histories.children };
    };
    try {
      const output = await execution.result;
      await collecting;
      if (dataLimit !== undefined) return ended({ status: 'FAILED', ...dataLimit });
      if (aborted) return ended({ status: 'ABORTED' });
      return ended({ status: 'SUCCEEDED', output });
    } catch (error) {
      await collecting.catch(() => undefined);
      if (dataLimit !== undefined) return ended({ status: 'FAILED', ...dataLimit });
      if (aborted) return ended({ status: 'ABORTED' });
      const failed = events.find((event) => event.type === 'ExecutionFailed');
      return ended({ status: 'FAILED', error: failed?.error ?? (error as Error).name, cause: failed?.cause ?? (error as Error).message });
    }
  })();
  return {
    executionName,
    executionArn,
    abort: () => {
      aborted = true;
      execution.abort();
    },
    outcome,
  };
};
