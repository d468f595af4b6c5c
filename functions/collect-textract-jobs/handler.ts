/** CollectTextractJobs: one look at a batch's async Textract jobs (the state machine waits between looks). */
import { z } from 'zod';
import { s3Client, textractClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { collectTextractJobs } from '../../src/pipeline/collect-textract-jobs';

const eventSchema = z.strictObject({
  bucket: z.string().min(3),
  runId: z.string().min(1),
  runPrefix: z.string().min(1),
  batchIndex: z.number().int().min(0),
});

export const handler = defineHandler('CollectTextractJobs', eventSchema, (event) =>
  collectTextractJobs({ s3: s3Client(), textract: textractClient() }, event),
);
