/** What the handlers that write the run record (RecordStatus, FinalizeRun) are built with. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeploymentSettings } from '../contracts/settings';
import { RunStore } from '../status/run-store';
import type { Observability } from './observability';

export interface RunStoreDeps extends Observability {
  dynamo: DynamoDBDocumentClient;
  /** The table is DOCTRAIN_TABLE of the deployment settings. */
  settings: () => DeploymentSettings;
  now: () => Date;
}

/** The run store on the deployment's table (a light object: the client is the deps' own). */
export const runStoreOf = (deps: Pick<RunStoreDeps, 'dynamo' | 'settings'>): RunStore => new RunStore(deps.dynamo, deps.settings().DOCTRAIN_TABLE);
