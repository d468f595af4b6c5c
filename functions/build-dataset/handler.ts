/** BuildDataset: OCR results + annotations -> versioned dataset (JSONL shards, labels, manifest) in S3. */
import { s3Client } from '../../src/aws/s3-client';
import { defineHandler } from '../../src/lambda/handler';
import { buildDatasetStep } from '../../src/pipeline/dataset-step';
import { buildDatasetEventSchema } from '../../src/contracts/step-events';

export const handler = defineHandler('BuildDataset', buildDatasetEventSchema, (event) => buildDatasetStep(s3Client(), event));
