/** What the handlers that read or write the run record (RecordStatus, FinalizeRun, TrainingAttempt, PollTraining, StopEndedRun) are built with. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '../aws/dynamodb-client';
import type { DeploymentSettings } from '../contracts/settings';
import { LineageStore } from '../status/lineage-store';
import { RunStore } from '../status/run-store';
import { observabilityFromEnv, type Observability } from './observability';
import { deploymentSettingsFromEnv, type LambdaEnvironment } from './wiring';

export interface RunStoreDeps extends Observability {
  dynamo: DynamoDBDocumentClient;
  /** The table is DOCTRAIN_TABLE of the deployment settings. */
  settings: () => DeploymentSettings;
  now: () => Date;
}

/** The run store on the deployment's table (a light object: the client is the deps' own). */
export const runStoreOf = (deps: Pick<RunStoreDeps, 'dynamo' | 'settings'>): RunStore =>
  new RunStore(deps.dynamo, deps.settings().DOCTRAIN_TABLE);

/** The model lineages on the same table (src/status/lineage-store.ts). */
export const lineageStoreOf = (deps: Pick<RunStoreDeps, 'dynamo' | 'settings'>): LineageStore =>
  new LineageStore(deps.dynamo, deps.settings().DOCTRAIN_TABLE);

/** RunStoreDeps as on Lambda: the DynamoDB client from the SDK's environment lookup, settings and Logger/Metrics from `env`. */
export const runStoreDepsFromEnv = (env: LambdaEnvironment): RunStoreDeps => ({
  dynamo: createDynamoDocumentClient(),
  settings: deploymentSettingsFromEnv(env),
  now: () => new Date(),
  ...observabilityFromEnv(env),
});
