/**
 * The embedded local default: start the local AWS, upload documents, run the real state machine and
 * read back what it recorded. Used by `doctrain demo`, `doctrain run` and the integration tests.
 */
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RunStore, type RunEvent, type RunRecord } from '../src/status/run-store';
import { localHandlerDeps, type LocalHandlerDeps } from './handler-deps';
import { localObservability, type LocalObservabilityOptions } from './observability';
import { generateReceipts } from './synth';
import { loadServerlessProject, type ServerlessProject, type StateMachineEntry } from './serverless-project';
import { startLocalServices, type LocalServices, type LocalServicesOptions } from './services';
import { LocalStepFunctions, type LocalExecution } from './executions';
import { ExecutionStore } from './sfn/execution-store';
import type { ExecutionEvent, ExecutionOutcome } from './stepfunctions';

export const PIPELINE_STATE_MACHINE = 'trainPipeline';

/** Where a local stage keeps its Step Functions executions (local/sfn/execution-store.ts). */
export const localExecutionsDir = (dataDir: string): string => path.join(dataDir, 'stepfunctions');
/** The local runtime's default runExecution retryTimeScale (local/stepfunctions.ts). */
export const LOCAL_RETRY_TIME_SCALE = 0.1;

export interface LocalPipeline {
  services: LocalServices;
  project: ServerlessProject;
  store: RunStore;
  /** What the handlers are built with (the services' clients, the stage's settings, the local Logger/Metrics). */
  handlerDeps: LocalHandlerDeps;
  /** The local Step Functions service running the pipeline's executions (continue-as-new included). */
  stepFunctions: LocalStepFunctions;
  /** The pipeline's state machine as registered there (its stage's name, its logical id, its definition). */
  stateMachine: StateMachineEntry;
  /**
   * Runs an execution to its end; where it continued as new, the outcome is the last execution's of the
   * chain (`executeChain` gives each).
   */
  execute(input: unknown, options?: { executionName?: string; onEvent?: (event: ExecutionEvent) => void }): Promise<ExecutionOutcome>;
  executeChain(input: unknown, options?: { executionName?: string }): Promise<ExecutionOutcome[]>;
  /** Starts an execution and returns at once (abort it with `.abort()`, as StopExecution does). */
  start(input: unknown, options?: { executionName?: string; onEvent?: (event: ExecutionEvent) => void }): LocalExecution;
  runRecord(runId: string): Promise<{ record: RunRecord | undefined; events: RunEvent[] }>;
  close(): Promise<void>;
}

/**
 * Starts the local services and builds the handlers with their clients and the stage's settings (the
 * handler factories of functions/*, as serverless.yml lists them). This process's environment is neither
 * read nor written: several local pipelines can run side by side in one process.
 */
export const startLocalPipeline = async (
  options: LocalServicesOptions & { waitMs?: number; retryTimeScale?: number; logs?: LocalObservabilityOptions },
): Promise<LocalPipeline> => {
  const services = await startLocalServices(options);
  const project = loadServerlessProject(options.root);
  const stage = options.stage ?? 'local';
  const machine = project.stateMachine(PIPELINE_STATE_MACHINE, stage);
  const handlerDeps = localHandlerDeps(services.clients, services.settings, localObservability(options.logs));
  const stateMachineName = machine.name;
  // The stage's executions on disk beside its other data (opened once the stage is this process's): a
  // later process describes and lists them too.
  const store = await ExecutionStore.open(localExecutionsDir(options.dataDir)).catch(async (error: unknown) => {
    await services.close();
    throw error;
  });
  const stepFunctions = new LocalStepFunctions({
    store,
    functions: project.functions,
    stage,
    deps: handlerDeps,
    waitMs: options.waitMs ?? 1000,
    // AWS's Retry backoff at a tenth of its times: 8 throttling retries still span seconds, as a quota needs.
    retryTimeScale: options.retryTimeScale ?? LOCAL_RETRY_TIME_SCALE,
    onDeliveryError: (error) => console.error('local EventBridge delivery failed:', error),
  });
  stepFunctions.register(stateMachineName, machine.definition, { logicalId: machine.logicalId });
  const runs = new RunStore(services.clients.dynamo, services.tableName);
  const start: LocalPipeline['start'] = (input, startOptions = {}) => stepFunctions.start(stateMachineName, input as never, startOptions);
  const executeChain: LocalPipeline['executeChain'] = (input, chainOptions = {}) =>
    stepFunctions.chain(start(input, chainOptions).executionName);
  return {
    services,
    project,
    store: runs,
    handlerDeps,
    stepFunctions,
    stateMachine: machine,
    start,
    executeChain,
    execute: async (input, executeOptions = {}) => {
      const outcomes = await stepFunctions.chain(start(input, executeOptions).executionName);
      return outcomes.at(-1) as ExecutionOutcome;
    },
    runRecord: async (runId) => ({ record: await runs.getRun(runId), events: await runs.listEvents(runId) }),
    close: async () => {
      stepFunctions.stopAll();
      await stepFunctions.settle();
      await stepFunctions.flushed();
      await services.close();
    },
  };
};

/** Renders `count` synthetic receipts and uploads each image with its annotation under `prefix`. */
export const uploadSyntheticReceipts = async (
  s3: S3Client,
  bucket: string,
  options: { count: number; seed: number; prefix?: string },
): Promise<string[]> => {
  const prefix = options.prefix ?? 'documents/';
  const receipts = await generateReceipts({ count: options.count, seed: options.seed });
  await Promise.all(
    receipts.flatMap((receipt) => [
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${receipt.id}.png`, Body: receipt.png, ContentType: 'image/png' })),
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${receipt.id}.json`,
          Body: JSON.stringify(receipt.annotation),
          ContentType: 'application/json',
        }),
      ),
    ]),
  );
  return receipts.map((receipt) => `${prefix}${receipt.id}.png`);
};
