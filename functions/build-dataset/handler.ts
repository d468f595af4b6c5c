/** BuildDataset: OCR results + annotations -> versioned dataset (JSONL shards, labels, manifest) in S3. */
import * as z from 'zod';
import { s3Client } from '../../src/aws/s3-client';
import { defineHandler } from '../../src/lambda/handler';
import { buildDatasetStep } from '../../src/pipeline/dataset-step';

const eventSchema = z.strictObject({
  bucket: z.string().min(3),
  runId: z.string().min(1),
  runPrefix: z.string().min(1),
  batchCount: z.number().int().min(1),
  validationFraction: z.number().gt(0).lt(1),
  maxQuarantineShare: z.number().min(0).max(1),
  pageImages: z.boolean(),
  modelChannelUri: z.string().startsWith('s3://').nullable(),
});

export const handler = defineHandler('BuildDataset', eventSchema, (event) => buildDatasetStep(s3Client(), event));
