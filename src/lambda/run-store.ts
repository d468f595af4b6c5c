import { dynamoDocumentClient } from '../aws/dynamodb-client';
import { RunStore } from '../status/run-store';
import { requireEnv } from './env';

/** The run store the handlers share, on the table named by DOCTRAIN_TABLE. */
export const runStoreFromEnv = (): RunStore => new RunStore(dynamoDocumentClient(), requireEnv('DOCTRAIN_TABLE'));
