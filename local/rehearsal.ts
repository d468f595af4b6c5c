/**
 * Rehearsing the training poll loop on the local runtime without OCR or real training: a training job of
 * the test trainer (test/unit/local/fixtures/fake_trainer: `epochs` x `epoch_seconds`, a checkpoint per
 * epoch, SIGTERM-safe) and its run record as the steps before the loop leave them, then an execution
 * that enters the loop the way a continued execution does (`{continuation: {config, preflight, retrain, dataset, polling}}`).
 * Used by test/integration/polling.test.ts, test/integration/budget.test.ts and bench/polling.ts.
 */
import path from 'node:path';
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { putBody } from '../src/aws/s3-objects';
import { DEFAULT_PRICE_TABLE } from '../src/contracts/prices';
import { startLocalPipeline, type LocalPipeline } from './pipeline';
import { LOCAL_BUCKET } from './services';
import type { RetrainDecision } from '../src/steps/check-fingerprint/schema';

const DAY = 86_400;

/** The fake trainer package, for `startLocalPipeline({ sagemaker: { trainer } })`. */
export const fakeTrainer = (root: string): { dir: string; module: string } => ({
  dir: path.join(root, 'test', 'unit', 'local', 'fixtures'),
  module: 'fake_trainer',
});

/** The local pipeline for rehearsals: the fake trainer on a job clock `timeScale` x the real one, 25 ms Waits, fast retries. */
export const startRehearsalPipeline = (
  root: string,
  dataDir: string,
  timeScale: number,
  settings: Record<string, string> = {},
): Promise<LocalPipeline> =>
  startLocalPipeline({
    root,
    dataDir,
    stage: 'local',
    waitMs: 25,
    retryTimeScale: 0.01,
    sagemaker: { runner: 'process', trainer: fakeTrainer(root), timeScale, checkpointSyncSeconds: 0.2 },
    settings,
  });

export interface RehearsalRun {
  runId: string;
  jobName: string;
  checkpointS3Uri: string;
}

/** A training job of `epochs` x `epochSeconds` (real seconds) and its run record, TRAINING, owned by the execution named runId. */
export const createRehearsalRun = async (
  pipeline: LocalPipeline,
  runId: string,
  options: { epochs: number; epochSeconds: number; spot?: boolean; checkpointing?: boolean },
): Promise<RehearsalRun> => {
  const bucket = pipeline.services.bucket;
  const { s3, sagemaker } = pipeline.services.clients;
  const jobName = `doctrain-${runId}-a1`;
  const checkpointS3Uri = `s3://${bucket}/checkpoints/rehearsal/${runId}/`;
  await putBody(s3, { bucket, key: `datasets/rehearsal/${runId}/train-00000.jsonl` }, '{}\n', 'application/x-ndjson');
  await sagemaker.send(
    new CreateTrainingJobCommand({
      TrainingJobName: jobName,
      AlgorithmSpecification: {
        TrainingImage: 'doctrain-trainer:local',
        TrainingInputMode: 'File',
        MetricDefinitions: [
          { Name: 'val_f1', Regex: 'val_f1=([0-9.]+)' },
          { Name: 'train_loss', Regex: 'train_loss=([0-9.]+)' },
        ],
      },
      RoleArn: 'arn:aws:iam::000000000000:role/doctrain-local-sagemaker',
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: `s3://${bucket}/datasets/rehearsal/${runId}/train-`,
              S3DataDistributionType: 'FullyReplicated',
            },
          },
        },
      ],
      OutputDataConfig: { S3OutputPath: `s3://${bucket}/models/rehearsal/` },
      ResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 20 * DAY, ...(options.spot ? { MaxWaitTimeInSeconds: 25 * DAY } : {}) },
      EnableManagedSpotTraining: options.spot ?? false,
      HyperParameters: { epochs: String(options.epochs), epoch_seconds: String(options.epochSeconds) },
      // Without checkpointing the trainer writes to a folder nothing syncs, as a trainer that stopped checkpointing.
      ...(options.checkpointing === false ? {} : { CheckpointConfig: { S3Uri: checkpointS3Uri, LocalPath: '/opt/ml/checkpoints' } }),
    }),
  );
  for (const status of ['PENDING', 'TRAINING'] as const) {
    await pipeline.store.writeStatusChange({
      runId,
      executionName: runId,
      status,
      at: new Date().toISOString(),
      attributes: { trainingJobName: jobName },
    });
  }
  return { runId, jobName, checkpointS3Uri };
};

/** The input of an execution that enters the poll loop for this run (statemachines/train-pipeline.asl.yml, ContinueAsNew). */
export const pollLoopInput = (
  run: RehearsalRun,
  pollSeconds = 10,
  options: { budgetUsd?: number; textractPagesBilled?: number } = {},
): unknown => ({
  continuation: {
    config: {
      runId: run.runId,
      modelName: 'rehearsal',
      bucket: LOCAL_BUCKET,
      promotion: { margin: 0.01, fieldTolerance: 0.02 },
      pollSeconds,
      budgetUsd: options.budgetUsd ?? null,
      prices: DEFAULT_PRICE_TABLE,
      training: { jobName: run.jobName, checkpointS3Uri: run.checkpointS3Uri },
      // One training job per attempt, no tuning job (FinalizeRun reads it).
      tuning: null,
    },
    // What Preflight returned; the loop only hands it on (a capacity fallback would create its job from it).
    preflight: { image: 'rehearsal', plan: [] },
    dataset: { fingerprint: 'rehearsal', textractPagesBilled: options.textractPagesBilled ?? 0 },
    // CheckFingerprint's decision: a first run of its lineage (PromoteModel promotes it).
    retrain: {
      fingerprint: `rehearsal-${run.runId}`,
      summary: { decision: 'train', reason: 'a rehearsal', matchedRunId: null, championRunId: null, warmStart: false },
      champion: null,
      lineageVersion: 0,
      hyperparameters: {},
      listedObjects: 0,
    } satisfies RetrainDecision,
    polling: { pollCount: 0, executions: [run.runId], waitSeconds: pollSeconds },
  },
});
