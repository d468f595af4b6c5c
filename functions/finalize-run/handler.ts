/** FinalizeRun: the finished training job -> terminal run record (metrics, artifact, cost or reason). */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { createDynamoDocumentClient, createSageMakerClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv } from '../../src/lambda/observability';
import { runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import { deploymentSettingsFromEnv, type LambdaEnvironment } from '../../src/lambda/wiring';
import { finalizeRun } from '../../src/pipeline/finalize';

const eventSchema = z.strictObject({
  runId: z.string().min(1),
  executionName: z.string().min(1),
  trainingJobName: z.string().min(1),
  datasetFingerprint: z.string().optional(),
});

export interface FinalizeRunDeps extends RunStoreDeps {
  sagemaker: SageMakerClient;
}

export const createFinalizeRunHandler = (deps: FinalizeRunDeps) =>
  defineHandler(
    { name: 'FinalizeRun', eventSchema, run: (event) => finalizeRun({ sagemaker: deps.sagemaker, store: runStoreOf(deps), now: deps.now }, event) },
    deps,
  );

export const finalizeRunDepsFromEnv = (env: LambdaEnvironment): FinalizeRunDeps => ({
  sagemaker: createSageMakerClient(),
  dynamo: createDynamoDocumentClient(),
  settings: deploymentSettingsFromEnv(env),
  now: () => new Date(),
  ...observabilityFromEnv(env),
});

export const handler = createFinalizeRunHandler(finalizeRunDepsFromEnv(process.env));
