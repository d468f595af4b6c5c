/** PlanBatches: documents under the prefix -> batch lists in S3 for the OCR Map. */
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/aws/s3-client';
import { planBatchesEventSchema } from '../../src/steps/plan-batches/schema';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { planBatches } from '../../src/steps/plan-batches/step';

export interface PlanBatchesDeps extends Observability {
  s3: S3Client;
}

export const createPlanBatchesHandler = (deps: PlanBatchesDeps) =>
  defineHandler({ name: 'PlanBatches', eventSchema: planBatchesEventSchema, run: (event) => planBatches(deps.s3, event) }, deps);

export const planBatchesDepsFromEnv = (env: LambdaEnvironment): PlanBatchesDeps => ({ s3: createS3Client(), ...observabilityFromEnv(env) });

export const handler = createPlanBatchesHandler(planBatchesDepsFromEnv(process.env));
