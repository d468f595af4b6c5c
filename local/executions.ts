/**
 * The local Step Functions service: the state machines of serverless.yml, their executions, and what the
 * service does around them on AWS:
 *  - `arn:aws:states:::states:startExecution` (the optimized integration) starts an execution here, so a
 *    definition that continues as a new execution of itself runs locally as on AWS; the same Name with
 *    the same input is idempotent, with another input ExecutionAlreadyExists;
 *  - StopExecution (`stop`) ends an execution ABORTED;
 *  - when an execution ends, the "Step Functions Execution Status Change" event is delivered to every
 *    function whose `eventBridge` pattern in serverless.yml matches it (exact values and nesting: the
 *    part of EventBridge's pattern language the project uses), its `${sls:stage}` and `!Ref`s to the
 *    state machines registered here resolved first (a Ref to a state machine is its ARN, as on AWS);
 *    a FAILED execution's event carries its `error` and `cause`, as AWS's does;
 *  - what the Step Functions API reads (local/sfn/: DescribeExecution, ListExecutions,
 *    GetExecutionHistory, DescribeStateMachine, ...): `describe`, `list`, `stateMachines`; with a
 *    `store` (local/sfn/execution-store.ts) every execution is kept on disk, so a restarted local stage
 *    still knows the executions of earlier processes (and refuses their names, as AWS does).
 */
import { randomUUID } from 'node:crypto';
import type { LocalHandlerDeps } from './handler-deps';
import { resolveReferences, type FunctionEntry } from './serverless-project';
import { ExecutionAlreadyExistsError, StateMachineDoesNotExistError } from './sfn/errors';
import type { ExecutionStore, StoredExecution } from './sfn/execution-store';
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
  /** Its events so far, as they arrive. */
  events: ExecutionEvent[];
}

/** A state machine as DescribeStateMachine tells it. */
export interface LocalStateMachine {
  stateMachineArn: string;
  name: string;
  /** The definition as registered (serverless.yml's, references unresolved). */
  definition: Record<string, unknown>;
  creationDate: Date;
}

/** StartExecution's request, as the API and the `states:startExecution` integration take it. */
export interface StartExecutionRequest {
  stateMachineArn: string;
  name?: string | undefined;
  input: Json;
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
  private readonly machines = new Map<
    string,
    { name: string; logicalId: string | undefined; prepared: PreparedStateMachine; described: LocalStateMachine }
  >();
  private readonly byName = new Map<string, LocalExecution>();
  private readonly pending = new Set<Promise<unknown>>();
  /** The executions of this process that have ended, as they ended (by execution ARN). */
  private readonly ended = new Map<string, StoredExecution>();
  /** Error and cause of a StopExecution, by execution ARN, for the ABORTED record. */
  private readonly stopReasons = new Map<string, { error?: string | undefined; cause?: string | undefined; stopDate: Date }>();
  /** The event targets' handlers, each built on its first delivery (a cold start) and kept warm after. */
  private readonly eventTargets = new Map<string, ReturnType<typeof lambdaHandler>>();

  public constructor(
    private readonly options: {
      functions: readonly FunctionEntry[];
      /** The stage the functions' event patterns are resolved for (`${sls:stage}`). */
      stage: string;
      /** What every function's handler is built with (local/handler-deps.ts). */
      deps: LocalHandlerDeps;
      waitMs?: number;
      /** AWS's Retry backoff scaled by this (local/stepfunctions.ts scaleRetryTimes). */
      retryTimeScale?: number;
      /** Errors of event deliveries (a target function that failed), for the caller to see. */
      onDeliveryError?: (error: unknown) => void;
      /** Where executions are kept across processes (absent: in memory only). */
      store?: ExecutionStore;
    },
  ) {}

  public static stateMachineArn(name: string): string {
    return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
  }

  /**
   * Registers (or replaces) the state machine `name`; `logicalId`, its CloudFormation logical id, is what
   * an event pattern's `!Ref` to it names.
   */
  public register(name: string, definition: Record<string, unknown>, options: { logicalId?: string } = {}): void {
    const prepared = prepareStateMachine(definition, this.options.functions, this.options.deps, {
      localIntegration: (resource) => (resource === START_EXECUTION ? (input) => this.startExecutionTask(input) : undefined),
    });
    const stateMachineArn = LocalStepFunctions.stateMachineArn(name);
    const described = { stateMachineArn, name, definition, creationDate: new Date() };
    this.machines.set(stateMachineArn, { name, logicalId: options.logicalId, prepared, described });
  }

  /** The registered state machines, in registration order. */
  public stateMachines(): LocalStateMachine[] {
    return [...this.machines.values()].map((machine) => machine.described);
  }

  /** An execution of this process or (with a store) of an earlier one, as it is now. */
  public describe(executionArn: string): StoredExecution | undefined {
    const live = [...this.byName.values()].find((execution) => execution.executionArn === executionArn);
    if (live === undefined) return this.options.store?.get(executionArn);
    return this.ended.get(executionArn) ?? this.snapshot(live, { status: 'RUNNING', events: [...live.events] });
  }

  /** Every execution known (this process's and the store's), newest first. */
  public list(): StoredExecution[] {
    const known = new Map((this.options.store?.list() ?? []).map((execution) => [execution.executionArn, execution]));
    for (const execution of this.byName.values()) {
      const described = this.describe(execution.executionArn);
      if (described !== undefined) known.set(execution.executionArn, described);
    }
    return [...known.values()].sort((a, b) => b.startDate.localeCompare(a.startDate) || b.name.localeCompare(a.name));
  }

  /**
   * StartExecution: a new execution, or (the same name and input while it runs) the running one, as
   * Step Functions answers a repeated request; ExecutionAlreadyExistsError for a name used otherwise,
   * StateMachineDoesNotExistError for an unknown state machine.
   */
  public startExecution(request: StartExecutionRequest): { executionArn: string; startDate: Date } {
    const machine = this.machines.get(request.stateMachineArn);
    if (machine === undefined) throw new StateMachineDoesNotExistError(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    const existing = this.byName.get(name);
    if (existing !== undefined && existing.stateMachineName === machine.name) {
      const running = !this.ended.has(existing.executionArn);
      if (running && JSON.stringify(existing.input) === JSON.stringify(request.input)) {
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      }
    }
    const execution = this.start(machine.name, request.input, { executionName: name });
    return { executionArn: execution.executionArn, startDate: execution.startDate };
  }

  /** StopExecution: a running execution ends ABORTED with this error and cause; an ended one is left as it is. */
  public stop(executionArn: string, reason: { error?: string | undefined; cause?: string | undefined } = {}): Date | undefined {
    const live = [...this.byName.values()].find((execution) => execution.executionArn === executionArn);
    if (live === undefined || this.ended.has(executionArn)) {
      const stopDate = this.describe(executionArn)?.stopDate;
      return stopDate === undefined ? undefined : new Date(stopDate);
    }
    const stopDate = new Date();
    this.stopReasons.set(executionArn, { ...reason, stopDate });
    live.abort();
    return stopDate;
  }

  /** Resolves once every execution record so far is on disk. */
  public async flushed(): Promise<void> {
    await this.options.store?.flushed();
  }

  private snapshot(
    execution: LocalExecution,
    state: Pick<StoredExecution, 'status' | 'events'> & Partial<StoredExecution>,
  ): StoredExecution {
    return {
      executionArn: execution.executionArn,
      stateMachineArn: LocalStepFunctions.stateMachineArn(execution.stateMachineName),
      stateMachineName: execution.stateMachineName,
      name: execution.executionName,
      startDate: execution.startDate.toISOString(),
      input: execution.input,
      ...(execution.startedBy === undefined ? {} : { startedBy: execution.startedBy }),
      ...state,
    };
  }

  private ending(execution: LocalExecution, outcome: ExecutionOutcome): StoredExecution {
    const stop = this.stopReasons.get(execution.executionArn);
    return this.snapshot(execution, {
      status: outcome.status,
      events: outcome.events,
      stopDate: (stop?.stopDate ?? new Date()).toISOString(),
      ...(outcome.output === undefined ? {} : { output: outcome.output }),
      ...(outcome.status === 'ABORTED'
        ? { ...(stop?.error === undefined ? {} : { error: stop.error }), ...(stop?.cause === undefined ? {} : { cause: stop.cause }) }
        : {
            ...(outcome.error === undefined ? {} : { error: outcome.error }),
            ...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
          }),
    });
  }

  /** The functions' event patterns as EventBridge holds them: stage and Refs to the state machines resolved. */
  private resolvedPatterns(fn: FunctionEntry): Record<string, unknown>[] {
    const refs = Object.fromEntries(
      [...this.machines].flatMap(([arn, machine]) => (machine.logicalId === undefined ? [] : [[machine.logicalId, arn] as const])),
    );
    return fn.eventPatterns.map((pattern) => resolveReferences(pattern, { stage: this.options.stage, refs }) as Record<string, unknown>);
  }

  public get executions(): LocalExecution[] {
    return [...this.byName.values()];
  }

  public start(
    stateMachineName: string,
    input: Json,
    options: { executionName?: string; onEvent?: (event: ExecutionEvent) => void } = {},
  ): LocalExecution {
    const stateMachineArn = LocalStepFunctions.stateMachineArn(stateMachineName);
    const machine = this.machines.get(stateMachineArn);
    if (machine === undefined) throw new StateMachineDoesNotExistError(stateMachineArn);
    const executionName = options.executionName ?? randomUUID();
    const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${stateMachineName}:${executionName}`;
    if (this.byName.has(executionName) || this.options.store?.get(executionArn) !== undefined) {
      throw new ExecutionAlreadyExistsError(executionArn);
    }
    const events: ExecutionEvent[] = [];
    const started = startExecution(machine.prepared, input, {
      stateMachineName,
      executionName,
      ...(this.options.waitMs === undefined ? {} : { waitMs: this.options.waitMs }),
      ...(this.options.retryTimeScale === undefined ? {} : { retryTimeScale: this.options.retryTimeScale }),
      onEvent: (event) => {
        events.push(event);
        options.onEvent?.(event);
      },
    });
    const startedBy = input !== null && typeof input === 'object' && !Array.isArray(input) ? input[STARTED_BY] : undefined;
    const execution: LocalExecution = {
      ...started,
      stateMachineName,
      input,
      startedBy: typeof startedBy === 'string' ? startedBy : undefined,
      startDate: new Date(),
      events,
    };
    this.byName.set(executionName, execution);
    const store = this.options.store;
    if (store !== undefined) this.track(store.save(this.snapshot(execution, { status: 'RUNNING', events: [] })));
    this.track(
      started.outcome.then(async (outcome) => {
        const ended = this.ending(execution, outcome);
        this.ended.set(execution.executionArn, ended);
        await store?.save(ended);
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
    for (const execution of this.byName.values()) {
      if (this.ended.has(execution.executionArn)) continue;
      this.stopReasons.set(execution.executionArn, {
        error: 'States.Runtime',
        cause: 'the local Step Functions service shut down while this execution ran',
        stopDate: new Date(),
      });
      execution.abort();
    }
  }

  /** Resolves once no execution runs and no event delivery is under way. */
  public async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.options.onDeliveryError?.(error)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** The `states:startExecution` integration: the API's StartExecution, its refusals as Step Functions names them to a Task. */
  private startExecutionTask(input: Json): Promise<Json> {
    const request = (input ?? {}) as { StateMachineArn?: unknown; Name?: unknown; Input?: unknown };
    try {
      const started = this.startExecution({
        stateMachineArn: String(request.StateMachineArn),
        name: typeof request.Name === 'string' ? request.Name : undefined,
        input: (typeof request.Input === 'string' ? JSON.parse(request.Input) : (request.Input ?? {})) as Json,
      });
      return Promise.resolve({ ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() });
    } catch (error) {
      if (error instanceof StateMachineDoesNotExistError || error instanceof ExecutionAlreadyExistsError) {
        return Promise.reject(new TaskError(`StepFunctions.${error.name}Exception`, error.message));
      }
      throw error;
    }
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
        ...(outcome.status === 'FAILED' ? { error: outcome.error ?? null, cause: outcome.cause ?? null } : {}),
      },
    };
    const targets = this.options.functions.filter((fn) => this.resolvedPatterns(fn).some((pattern) => matchesPattern(pattern, event)));
    for (const fn of targets) {
      let handler = this.eventTargets.get(fn.key);
      if (handler === undefined) this.eventTargets.set(fn.key, (handler = lambdaHandler(fn, this.options.deps)));
      await handler(event);
    }
  }
}
