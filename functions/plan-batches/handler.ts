/** PlanBatches: documents under the prefix -> batch lists in S3 for the OCR Map. */
import * as z from 'zod';
import { s3Client } from '../../src/aws/s3-client';
import { defineHandler } from '../../src/lambda/handler';
import { planBatches } from '../../src/pipeline/plan';

const eventSchema = z.strictObject({
  bucket: z.string().min(3),
  runId: z.string().min(1),
  runPrefix: z.string().min(1),
  documentsPrefix: z.string().min(1),
  batchSize: z.number().int().min(1),
});

export const handler = defineHandler('PlanBatches', eventSchema, (event) => planBatches(s3Client(), event));
