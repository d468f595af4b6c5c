/** RecordStatus: the DynamoDB status writer used by every Record* state. */
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { recordStatus } from '../../src/pipeline/record-status';
import { recordStatusEventSchema } from '../../src/contracts/step-events';

const store = runStoreFromEnv();

export const handler = defineHandler('RecordStatus', recordStatusEventSchema, (event) =>
  recordStatus({ store, now: () => new Date() }, event),
);
