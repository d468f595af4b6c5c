/** PlanBatches: documents under the prefix -> batch lists in S3 for the OCR Map. */
import { s3Client } from '../../src/aws/s3-client';
import { defineHandler } from '../../src/lambda/handler';
import { planBatches } from '../../src/pipeline/plan';
import { planBatchesEventSchema } from '../../src/contracts/step-events';

export const handler = defineHandler('PlanBatches', planBatchesEventSchema, (event) => planBatches(s3Client(), event));
