/** CollectTextractJobs: one look at a batch's async Textract jobs (the state machine waits between looks). */
import { s3Client } from '../../src/aws/s3-client';
import { textractClient } from '../../src/aws/textract-client';
import { defineHandler } from '../../src/lambda/handler';
import { collectTextractJobs } from '../../src/pipeline/collect-textract-jobs';
import { ocrBatchEventSchema } from '../../src/contracts/step-events';

export const handler = defineHandler('CollectTextractJobs', ocrBatchEventSchema, (event) =>
  collectTextractJobs({ s3: s3Client(), textract: textractClient() }, event),
);
