/**
 * What OcrBatch and CollectTextractJobs share in their wiring: their dependencies, and the metrics of a
 * batch. Both return the summary of the whole batch file, so a batch's figures are emitted once, by the
 * call that finishes it (no async Textract job left pending): summed over batches, they are the run's.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TextractClient } from '@aws-sdk/client-textract';
import { createS3Client } from '../../aws/s3-client';
import { createTextractClient } from '../../aws/textract-client';
import type { OcrBatchSummary } from './schema';
import { observabilityFromEnv, type Observability } from '../../lambda/observability';
import type { StepMetric } from '../../lambda/step-metrics';
import type { LambdaEnvironment } from '../../lambda/wiring';

export interface OcrBatchDeps extends Observability {
  s3: S3Client;
  textract: TextractClient;
}

/** OcrBatchDeps as on Lambda: clients from the SDK's environment lookup, Logger/Metrics from `env`. */
export const ocrBatchDepsFromEnv = (env: LambdaEnvironment): OcrBatchDeps => ({
  s3: createS3Client(),
  textract: createTextractClient(),
  ...observabilityFromEnv(env),
});

export const OCR_METRICS = { pagesBilled: 'TextractPagesBilled', cacheHits: 'OcrCacheHits' } as const;

export const ocrBatchMetrics = (summary: OcrBatchSummary): StepMetric[] =>
  summary.pendingJobs > 0
    ? []
    : [
        { name: OCR_METRICS.pagesBilled, unit: MetricUnit.Count, value: summary.pagesBilled },
        { name: OCR_METRICS.cacheHits, unit: MetricUnit.Count, value: summary.cacheHits },
      ];
