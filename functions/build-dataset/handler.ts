/** BuildDataset: OCR results + annotations -> versioned dataset (JSONL shards, labels, manifest) in S3. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/aws/s3-client';
import { buildDatasetEventSchema } from '../../src/steps/build-dataset/schema';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import { buildDatasetStep } from '../../src/steps/build-dataset/step';

export interface BuildDatasetDeps extends Observability {
  s3: S3Client;
}

/** The run's quarantine (planning and OCR together), emitted once per run. */
export const DOCUMENTS_QUARANTINED_METRIC = 'DocumentsQuarantined';

export const createBuildDatasetHandler = (deps: BuildDatasetDeps) =>
  defineHandler(
    {
      name: 'BuildDataset',
      eventSchema: buildDatasetEventSchema,
      run: (event) => buildDatasetStep(deps.s3, event),
      metrics: (dataset) => [{ name: DOCUMENTS_QUARANTINED_METRIC, unit: MetricUnit.Count, value: dataset.counts.quarantined }],
    },
    deps,
  );

export const buildDatasetDepsFromEnv = (env: LambdaEnvironment): BuildDatasetDeps => ({
  s3: createS3Client(),
  ...observabilityFromEnv(env),
});

export const handler = createBuildDatasetHandler(buildDatasetDepsFromEnv(process.env));
