import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { stepMetrics } from '../../../src/lambda/step-metrics';
import { ocrBatchMetrics } from '../../../src/steps/ocr-batch/wiring';
import type { OcrBatchSummary } from '../../../src/steps/ocr-batch/schema';
import { capturingObservability } from './capture';

const context = {} as Context;

const summary = (overrides: Partial<OcrBatchSummary>): OcrBatchSummary => ({
  batchIndex: 1,
  resultKey: 'runs/r1/ocr/batch-00001.json',
  documents: 4,
  quarantined: 1,
  cacheHits: 2,
  pagesBilled: 3,
  pendingJobs: 0,
  waitSeconds: 0,
  ...overrides,
});

describe('stepMetrics middleware', () => {
  it("adds the result's metrics, with the run keys as properties (not dimensions)", async () => {
    // Prepare
    const { metrics } = capturingObservability();
    const handler = middy(() => Promise.resolve(summary({}))).use(stepMetrics(metrics, ocrBatchMetrics));
    // Act
    await handler({ runId: 'r1', batchIndex: 1 }, context);
    const emf = metrics.serializeMetrics();
    // Assess
    expect(emf).toMatchObject({ TextractPagesBilled: 3, OcrCacheHits: 2, runId: 'r1', batch: '1' });
    expect(emf._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(emf._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'TextractPagesBilled', Unit: MetricUnit.Count },
      { Name: 'OcrCacheHits', Unit: MetricUnit.Count },
    ]);
  });

  it('adds nothing while the batch still waits for async Textract jobs (its figures come with the call that finishes it)', async () => {
    // Prepare
    const { metrics } = capturingObservability();
    const handler = middy(() => Promise.resolve(summary({ pendingJobs: 2 }))).use(stepMetrics(metrics, ocrBatchMetrics));
    // Act
    await handler({ runId: 'r1', batchIndex: 1 }, context);
    // Assess
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});
