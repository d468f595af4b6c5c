/** PlanBatches: documents under the prefix -> batch lists in S3 for the OCR Map. */
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { createS3Client } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { planBatches } from '../../src/pipeline/plan';

const eventSchema = z.strictObject({
  bucket: z.string().min(3),
  runId: z.string().min(1),
  runPrefix: z.string().min(1),
  documentsPrefix: z.string().min(1),
  batchSize: z.number().int().min(1),
});

export interface PlanBatchesDeps extends Observability {
  s3: S3Client;
}

export const createPlanBatchesHandler = (deps: PlanBatchesDeps) =>
  defineHandler({ name: 'PlanBatches', eventSchema, run: (event) => planBatches(deps.s3, event) }, deps);

export const planBatchesDepsFromEnv = (env: LambdaEnvironment): PlanBatchesDeps => ({ s3: createS3Client(), ...observabilityFromEnv(env) });

export const handler = createPlanBatchesHandler(planBatchesDepsFromEnv(process.env));
