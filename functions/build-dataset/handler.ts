/** BuildDataset: OCR results + annotations -> versioned dataset (JSONL shards, labels, manifest) in S3. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { createS3Client } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
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

export interface BuildDatasetDeps extends Observability {
  s3: S3Client;
}

/** The run's quarantine (planning and OCR together), emitted once per run. */
export const DOCUMENTS_QUARANTINED_METRIC = 'DocumentsQuarantined';

export const createBuildDatasetHandler = (deps: BuildDatasetDeps) =>
  defineHandler(
    {
      name: 'BuildDataset',
      eventSchema,
      run: (event) => buildDatasetStep(deps.s3, event),
      metrics: (dataset) => [{ name: DOCUMENTS_QUARANTINED_METRIC, unit: MetricUnit.Count, value: dataset.counts.quarantined }],
    },
    deps,
  );

export const buildDatasetDepsFromEnv = (env: LambdaEnvironment): BuildDatasetDeps => ({ s3: createS3Client(), ...observabilityFromEnv(env) });

export const handler = createBuildDatasetHandler(buildDatasetDepsFromEnv(process.env));
