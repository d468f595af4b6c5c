/** PollTraining: one poll of the training loop (src/pipeline/poll-training.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { s3Client, sageMakerClient } from '../../src/aws/clients';
import { readDeploymentSettings } from '../../src/config/run-config';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { pollTraining } from '../../src/pipeline/poll-training';

const store = runStoreFromEnv();
const logger = new Logger({ serviceName: 'doctrain-poll-training' });
const metrics = new Metrics({ namespace: 'doctrain', serviceName: 'poll-training' });

const eventSchema = z.strictObject({
  runId: z.string().min(1),
  executionName: z.string().min(1),
  trainingJobName: z.string().min(1),
  checkpointS3Uri: z.string().min(1).optional(),
  pollSeconds: z.number().int().positive(),
  polling: z.strictObject({ pollCount: z.number().int().min(0), executions: z.array(z.string().min(1)).min(1) }),
});

export const handler = defineHandler('PollTraining', eventSchema, async (event) => {
  const settings = readDeploymentSettings();
  const result = await pollTraining(
    {
      sagemaker: sageMakerClient(),
      s3: s3Client(),
      store,
      now: () => new Date(),
      settings: {
        pollSeconds: event.pollSeconds,
        maxPollSeconds: settings.DOCTRAIN_MAX_POLL_SECONDS,
        loopHistoryBudget: settings.DOCTRAIN_LOOP_HISTORY_BUDGET,
        checkpointIntervalSeconds: settings.DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS,
        checkpointStaleFactor: settings.DOCTRAIN_CHECKPOINT_STALE_FACTOR,
      },
      onCheckpointStale: (warning) => {
        const { message, ...figures } = warning;
        logger.warn(`checkpoint watchdog: ${message}`, { runId: event.runId, ...figures });
        metrics.addDimension('modelName', settings.DOCTRAIN_MODEL_NAME);
        metrics.addMetric('CheckpointStale', MetricUnit.Count, 1);
        metrics.addMetric('CheckpointAgeSeconds', MetricUnit.Seconds, warning.ageSeconds);
        metrics.publishStoredMetrics();
      },
      onProgressError: (error) => logger.error('progress not recorded; the loop goes on and records on the next poll', { runId: event.runId, error }),
    },
    event,
  );
  return result;
});
