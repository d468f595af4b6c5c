/** PollTraining: one poll of the training loop (src/pipeline/poll-training.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { s3Client } from '../../src/aws/s3-client';
import { sageMakerClient } from '../../src/aws/sagemaker-client';
import { readDeploymentSettings } from '../../src/config/run-config';
import { pollTrainingEventSchema } from '../../src/contracts/step-events';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreFromEnv } from '../../src/lambda/run-store';
import { pollTraining } from '../../src/pipeline/poll-training';

const store = runStoreFromEnv();
const logger = new Logger({ serviceName: 'doctrain-poll-training' });
const metrics = new Metrics({ namespace: 'doctrain', serviceName: 'poll-training' });

export const handler = defineHandler('PollTraining', pollTrainingEventSchema, async (event) => {
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
