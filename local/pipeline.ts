/**
 * The embedded local default: start the local AWS, upload documents, run the real state machine and
 * read back what it recorded. Used by `doctrain demo`, `doctrain run` and the integration tests.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RunStore, type RunEvent, type RunRecord } from '../src/status/run-store';
import { localHandlerDeps, type LocalHandlerDeps } from './handler-deps';
import { localObservability, type LocalObservabilityOptions } from './observability';
import { generateReceipts } from './synth';
import { loadServerlessProject, type ServerlessProject } from './serverless-project';
import { startLocalServices, type LocalServices, type LocalServicesOptions } from './services';
import { prepareStateMachine, runExecution, type ExecutionEvent, type ExecutionOutcome } from './stepfunctions';

export const PIPELINE_STATE_MACHINE = 'trainPipeline';

export interface LocalPipeline {
  services: LocalServices;
  project: ServerlessProject;
  store: RunStore;
  /** What the handlers are built with (the services' clients, the stage's settings, the local Logger/Metrics). */
  handlerDeps: LocalHandlerDeps;
  execute(input: unknown, options?: { executionName?: string; onEvent?: (event: ExecutionEvent) => void }): Promise<ExecutionOutcome>;
  runRecord(runId: string): Promise<{ record: RunRecord | undefined; events: RunEvent[] }>;
  close(): Promise<void>;
}

/**
 * Starts the local services and builds the handlers with their clients and the stage's settings (the
 * handler factories of functions/*, as serverless.yml lists them). This process's environment is neither
 * read nor written: several local pipelines can run side by side in one process.
 */
export const startLocalPipeline = async (
  options: LocalServicesOptions & { waitMs?: number; retryIntervalMs?: number; logs?: LocalObservabilityOptions },
): Promise<LocalPipeline> => {
  const services = await startLocalServices(options);
  const project = loadServerlessProject(options.root);
  const definition = project.stateMachines[PIPELINE_STATE_MACHINE];
  if (!definition) throw new Error(`serverless.yml has no state machine ${PIPELINE_STATE_MACHINE}`);
  const handlerDeps = localHandlerDeps(services.clients, services.settings, localObservability(options.logs));
  const prepared = prepareStateMachine(definition, project.functions, handlerDeps);
  const store = new RunStore(services.clients.dynamo, services.tableName);
  return {
    services,
    project,
    store,
    handlerDeps,
    execute: (input, executeOptions = {}) =>
      runExecution(prepared, input as never, {
        stateMachineName: `doctrain-${options.stage ?? 'local'}-train-pipeline`,
        waitMs: options.waitMs ?? 1000,
        retryIntervalMs: options.retryIntervalMs ?? 200,
        ...executeOptions,
      }),
    runRecord: async (runId) => ({ record: await store.getRun(runId), events: await store.listEvents(runId) }),
    close: () => services.close(),
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
