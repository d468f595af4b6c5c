/** PromoteModel: challenger vs champion -> champion pointer (conditional write), model registry, run COMPLETED with the promotion. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createS3Client } from '../../src/aws/s3-client';
import { createSageMakerClient } from '../../src/aws/sagemaker-client';
import { promoteModelEventSchema } from '../../src/steps/promote-model/schema';
import { defineHandler } from '../../src/lambda/handler';
import { registrySettingsOf } from '../../src/lambda/registry-settings';
import { lineageStoreOf, runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { promoteModel } from '../../src/steps/promote-model/step';

export interface PromoteModelDeps extends RunStoreDeps {
  s3: S3Client;
  sagemaker: SageMakerClient;
}

export const createPromoteModelHandler = (deps: PromoteModelDeps) =>
  defineHandler(
    {
      name: 'PromoteModel',
      eventSchema: promoteModelEventSchema,
      run: (event) =>
        promoteModel(
          {
            store: runStoreOf(deps),
            lineage: lineageStoreOf(deps),
            sagemaker: deps.sagemaker,
            s3: deps.s3,
            registry: registrySettingsOf(deps.settings()),
            now: deps.now,
          },
          event,
        ),
    },
    deps,
  );

export const promoteModelDepsFromEnv = (env: LambdaEnvironment): PromoteModelDeps => ({
  s3: createS3Client(),
  sagemaker: createSageMakerClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createPromoteModelHandler(promoteModelDepsFromEnv(process.env));
