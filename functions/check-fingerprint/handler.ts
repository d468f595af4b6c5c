/** CheckFingerprint: listing + lineage -> the training fingerprint, and whether the run trains or is skipped. */
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/aws/s3-client';
import { checkFingerprintEventSchema } from '../../src/steps/check-fingerprint/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, lineageStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { checkFingerprint } from '../../src/steps/check-fingerprint/step';

export interface CheckFingerprintDeps extends RunStoreDeps {
  s3: S3Client;
}

export const createCheckFingerprintHandler = (deps: CheckFingerprintDeps) =>
  defineHandler(
    {
      name: 'CheckFingerprint',
      eventSchema: checkFingerprintEventSchema,
      run: (event) => checkFingerprint({ s3: deps.s3, lineage: lineageStoreOf(deps) }, event),
    },
    deps,
  );

export const checkFingerprintDepsFromEnv = (env: LambdaEnvironment): CheckFingerprintDeps => ({
  s3: createS3Client(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createCheckFingerprintHandler(checkFingerprintDepsFromEnv(process.env));
