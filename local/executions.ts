/**
 * The local Step Functions service: the state machines of serverless.yml, their executions, and what the
 * service does around them on AWS:
 *  - `arn:aws:states:::states:startExecution` (the optimized integration) starts an execution here, so a
 *    definition that continues as a new execution of itself runs locally as on AWS; the same Name with
 *    the same input is idempotent, with another input ExecutionAlreadyExists;
 *  - StopExecution (`stop`) ends an execution ABORTED;
 *  - when an execution ends, the "Step Functions Execution Status Change" event is delivered to every
 *    function whose `eventBridge` pattern in serverless.yml matches it (exact values and nesting: the
 *    part of EventBridge's pattern language the project uses).
 */
import { randomUUID } from 'node:crypto';
import type { LocalHandlerDeps } from './handler-deps';
import type { FunctionEntry } from './serverless-project';
import {
  TaskError,
  lambdaHandler,
  prepareStateMachine,
  startExecution,
  type ExecutionEvent,
  type ExecutionOutcome,
  type PreparedStateMachine,
  type StartedExecution,
} from './stepfunctions';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const START_EXECUTION = 'arn:aws:states:::states:startExecution';
/** The input key AWS uses to link a child execution to the execution that started it. */
const STARTED_BY = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';

export interface LocalExecution extends StartedExecution {
  stateMachineName: string;
  input: Json;
  /** The execution that started this one (its input's AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID). */
  startedBy: string | undefined;
  startDate: Date;
}

/** EventBridge pattern matching on exact values (arrays of allowed values) and nested objects. */
export const matchesPattern = (pattern: Record<string, unknown>, event: Record<string, unknown>): boolean =>
  Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) return expected.some((value) => value === actual);
    if (expected !== null && typeof expected === 'object') {
      return (
        actual !== null &&
        typeof actual === 'object' &&
        matchesPattern(expected as Record<string, unknown>, actual as Record<string, unknown>)
      );
    }
    return false;
  });

export class LocalStepFunctions {
  private readonly machines = new Map<string, { name: string; prepared: PreparedStateMachine }>();
  private readonly byName = new Map<string, LocalExecution>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly ended = new Set<string>();
  /** The event targets' handlers, each built on its first delivery (a cold start) and kept warm after. */
  private readonly eventTargets = new Map<string, ReturnType<typeof lambdaHandler>>();

  public constructor(
    private readonly options: {
      functions: readonly FunctionEntry[];
      /** What every function's handler is built with (local/handler-deps.ts). */
      deps: LocalHandlerDeps;
      waitMs?: number;
      /** AWS's Retry backoff scaled by this (local/stepfunctions.ts scaleRetryTimes). */
      retryTimeScale?: number;
      /** Errors of event deliveries (a target function that failed), for the caller to see. */
      onDeliveryError?: (error: unknown) => void;
    },
  ) {}

  public static stateMachineArn(name: string): string {
    return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
  }

  public register(name: string, definition: Record<string, unknown>): void {
    const prepared = prepareStateMachine(definition, this.options.functions, this.options.deps, {
      localIntegration: (resource) => (resource === START_EXECUTION ? (input) => this.startExecutionTask(input) : undefined),
    });
    this.machines.set(LocalStepFunctions.stateMachineArn(name), { name, prepared });
  }

  public get executions(): LocalExecution[] {
    return [...this.byName.values()];
  }

  public start(
    stateMachineName: string,
    input: Json,
    options: { executionName?: string; onEvent?: (event: ExecutionEvent) => void } = {},
  ): LocalExecution {
    const machine = this.machines.get(LocalStepFunctions.stateMachineArn(stateMachineName));
    if (machine === undefined) throw new Error(`Local Step Functions: no state machine ${stateMachineName}`);
    const executionName = options.executionName ?? randomUUID();
    if (this.byName.has(executionName)) throw new Error(`Local Step Functions: execution ${executionName} already exists`);
    const started = startExecution(machine.prepared, input, {
      stateMachineName,
      executionName,
      ...(this.options.waitMs === undefined ? {} : { waitMs: this.options.waitMs }),
      ...(this.options.retryTimeScale === undefined ? {} : { retryTimeScale: this.options.retryTimeScale }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });
    const startedBy = input !== null && typeof input === 'object' && !Array.isArray(input) ? input[STARTED_BY] : undefined;
    const execution: LocalExecution = {
      ...started,
      stateMachineName,
      input,
      startedBy: typeof startedBy === 'string' ? startedBy : undefined,
      startDate: new Date(),
    };
    this.byName.set(executionName, execution);
    this.track(
      started.outcome.then((outcome) => {
        this.ended.add(executionName);
        return this.deliverStatusChange(execution, outcome);
      }),
    );
    return execution;
  }

  /** The execution and every execution it continued as, in order, once the last of them has ended. */
  public async chain(executionName: string): Promise<ExecutionOutcome[]> {
    const outcomes: ExecutionOutcome[] = [];
    let current = this.byName.get(executionName);
    while (current !== undefined) {
      const outcome = await current.outcome;
      outcomes.push(outcome);
      const arn = current.executionArn;
      current = this.executions.find((execution) => execution.startedBy === arn);
    }
    return outcomes;
  }

  /** StopExecution of every execution still running (the local runtime shuts down). */
  public stopAll(): void {
    for (const execution of this.byName.values()) if (!this.ended.has(execution.executionName)) execution.abort();
  }

  /** Resolves once no execution runs and no event delivery is under way. */
  public async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.options.onDeliveryError?.(error)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private startExecutionTask(input: Json): Promise<Json> {
    const request = (input ?? {}) as { StateMachineArn?: unknown; Name?: unknown; Input?: unknown };
    const machine = typeof request.StateMachineArn === 'string' ? this.machines.get(request.StateMachineArn) : undefined;
    if (machine === undefined) {
      return Promise.reject(
        new TaskError(
          'StepFunctions.StateMachineDoesNotExistException',
          `State Machine Does Not Exist: '${String(request.StateMachineArn)}'`,
        ),
      );
    }
    const executionInput = (typeof request.Input === 'string' ? JSON.parse(request.Input) : (request.Input ?? {})) as Json;
    const name = typeof request.Name === 'string' ? request.Name : randomUUID();
    const existing = this.byName.get(name);
    if (existing !== undefined) {
      // StartExecution is idempotent for the same name and input while the execution runs.
      if (JSON.stringify(existing.input) === JSON.stringify(executionInput)) {
        return Promise.resolve({ ExecutionArn: existing.executionArn, StartDate: existing.startDate.toISOString() });
      }
      return Promise.reject(
        new TaskError('StepFunctions.ExecutionAlreadyExistsException', `Execution Already Exists: '${existing.executionArn}'`),
      );
    }
    const execution = this.start(machine.name, executionInput, { executionName: name });
    return Promise.resolve({ ExecutionArn: execution.executionArn, StartDate: execution.startDate.toISOString() });
  }

  private async deliverStatusChange(execution: LocalExecution, outcome: ExecutionOutcome): Promise<void> {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [execution.executionArn],
      detail: {
        executionArn: execution.executionArn,
        stateMachineArn: LocalStepFunctions.stateMachineArn(execution.stateMachineName),
        name: execution.executionName,
        status: outcome.status,
        startDate: execution.startDate.getTime(),
        stopDate: Date.now(),
        input: JSON.stringify(execution.input),
        output: outcome.output === undefined ? null : JSON.stringify(outcome.output),
      },
    };
    const targets = this.options.functions.filter((fn) => fn.eventPatterns.some((pattern) => matchesPattern(pattern, event)));
    for (const fn of targets) {
      let handler = this.eventTargets.get(fn.key);
      if (handler === undefined) this.eventTargets.set(fn.key, (handler = lambdaHandler(fn, this.options.deps)));
      await handler(event);
    }
  }
}
