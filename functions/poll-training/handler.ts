/** PollTraining: one poll of the training loop (src/steps/poll-training/step.ts). */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createS3Client } from '../../src/aws/s3-client';
import { createSageMakerClient } from '../../src/aws/sagemaker-client';
import { pollTrainingEventSchema } from '../../src/steps/poll-training/schema';
import { defineHandler } from '../../src/lambda/handler';
import { runStoreDepsFromEnv, runStoreOf, type RunStoreDeps } from '../../src/lambda/run-store-deps';
import type { LambdaEnvironment } from '../../src/lambda/wiring';
import type { CheckpointWarning } from '../../src/contracts/run-record';
import { pollTraining } from '../../src/steps/poll-training/step';

export interface PollTrainingDeps extends RunStoreDeps {
  s3: S3Client;
  sagemaker: SageMakerClient;
}

export const CHECKPOINT_METRICS = { stale: 'CheckpointStale', ageSeconds: 'CheckpointAgeSeconds' } as const;

export const createPollTrainingHandler = (deps: PollTrainingDeps) => {
  const { logger, metrics } = deps;
  /** The watchdog's finding: a warning line and its metrics (published with the invocation's, by logMetrics). */
  const onCheckpointStale = (modelName: string, warning: CheckpointWarning): void => {
    const { message, ...figures } = warning;
    logger.warn(`checkpoint watchdog: ${message}`, figures);
    metrics.addDimension('modelName', modelName);
    metrics.addMetric(CHECKPOINT_METRICS.stale, MetricUnit.Count, 1);
    metrics.addMetric(CHECKPOINT_METRICS.ageSeconds, MetricUnit.Seconds, warning.ageSeconds);
  };
  return defineHandler(
    {
      name: 'PollTraining',
      eventSchema: pollTrainingEventSchema,
      run: (event) => {
        const settings = deps.settings();
        return pollTraining(
          {
            sagemaker: deps.sagemaker,
            s3: deps.s3,
            store: runStoreOf(deps),
            now: deps.now,
            settings: {
              pollSeconds: event.pollSeconds,
              maxPollSeconds: settings.DOCTRAIN_MAX_POLL_SECONDS,
              loopHistoryBudget: settings.DOCTRAIN_LOOP_HISTORY_BUDGET,
              checkpointIntervalSeconds: settings.DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS,
              checkpointStaleFactor: settings.DOCTRAIN_CHECKPOINT_STALE_FACTOR,
            },
            onCheckpointStale: (warning) => onCheckpointStale(settings.DOCTRAIN_MODEL_NAME, warning),
            onProgressError: (error) => logger.error('progress not recorded; the loop goes on and records on the next poll', { error }),
          },
          event,
        );
      },
      // The watchdog's metrics are added during the poll (above); declaring the step's metrics has
      // logMetrics publish them, with the run keys as metadata, at the end of the invocation.
      metrics: () => [],
    },
    deps,
  );
};

export const pollTrainingDepsFromEnv = (env: LambdaEnvironment): PollTrainingDeps => ({
  s3: createS3Client(),
  sagemaker: createSageMakerClient(),
  ...runStoreDepsFromEnv(env),
});

export const handler = createPollTrainingHandler(pollTrainingDepsFromEnv(process.env));
