/**
 * The local Step Functions service's executions on disk, so that a restarted local stage still
 * describes, lists and gives the history of the executions of earlier processes, as Step Functions
 * keeps them (90 days on AWS; here until the stage folder is removed): one file an execution,
 * `<dir>/<state machine>/<execution name>.json`, written when it starts and again when it ends, with
 * the events it had. An execution still RUNNING when its process died comes back ABORTED, with the
 * error and cause below and an ExecutionAborted event: nothing resumes it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JsonFileWriter, readJsonFile } from '../json-file';

/** Step Functions' ExecutionStatus (botocore's stepfunctions model; test/unit/local/sfn-model.test.ts checks it). */
export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

const json = z.json();

export const executionEventSchema = z.strictObject({
  type: z.string().min(1),
  stateName: z.string().optional(),
  stateType: z.string().optional(),
  timestamp: z.number(),
  error: z.string().optional(),
  cause: z.string().optional(),
  output: json.optional(),
  iteration: z.number().int().nonnegative().optional(),
  mapStateName: z.string().optional(),
});

export const storedExecutionSchema = z.strictObject({
  executionArn: z.string().min(1),
  stateMachineArn: z.string().min(1),
  stateMachineName: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(EXECUTION_STATUSES),
  startDate: z.iso.datetime(),
  stopDate: z.iso.datetime().optional(),
  input: json,
  output: json.optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** The execution that started this one (continue-as-new). */
  startedBy: z.string().optional(),
  events: z.array(executionEventSchema),
});
export type StoredExecution = z.infer<typeof storedExecutionSchema>;

/** What an execution left RUNNING by a process that died is, once the stage starts again. */
export const ORPHANED_EXECUTION = {
  error: 'States.Runtime',
  cause: 'the local Step Functions service stopped while this execution was RUNNING; a local execution is not resumed',
} as const;

export class ExecutionStore {
  private readonly writer = new JsonFileWriter();

  private constructor(
    private readonly dir: string,
    private readonly executions: Map<string, StoredExecution>,
  ) {}

  /** The executions kept in `dir` (none when it does not exist yet); the orphaned RUNNING ones ABORTED. */
  public static async open(dir: string): Promise<ExecutionStore> {
    const executions = new Map<string, StoredExecution>();
    const machines = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const store = new ExecutionStore(dir, executions);
    for (const machine of machines.filter((entry) => entry.isDirectory())) {
      for (const file of await readdir(path.join(dir, machine.name))) {
        if (!file.endsWith('.json')) continue;
        const stored = await readJsonFile(path.join(dir, machine.name, file), storedExecutionSchema);
        if (stored === undefined) continue;
        executions.set(stored.executionArn, stored);
        if (stored.status === 'RUNNING') await store.save(orphaned(stored, new Date()));
      }
    }
    return store;
  }

  public get(executionArn: string): StoredExecution | undefined {
    return this.executions.get(executionArn);
  }

  public list(): StoredExecution[] {
    return [...this.executions.values()];
  }

  public save(execution: StoredExecution): Promise<void> {
    this.executions.set(execution.executionArn, execution);
    return this.writer.write(path.join(this.dir, execution.stateMachineName, `${execution.name}.json`), execution);
  }

  public flushed(): Promise<void> {
    return this.writer.flushed();
  }
}

/** An execution its process left RUNNING, as the restarted service reports it. */
export const orphaned = (execution: StoredExecution, now: Date): StoredExecution => ({
  ...execution,
  status: 'ABORTED',
  stopDate: now.toISOString(),
  ...ORPHANED_EXECUTION,
  events: [...execution.events, { type: 'ExecutionTerminated', timestamp: now.getTime(), ...ORPHANED_EXECUTION }],
});
