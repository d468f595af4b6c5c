/**
 * Hyperparameter tuning end to end on the local runtime: the real ASL's tuning states
 * (CreateHyperParameterTuningJob, the PollTuning loop), the local SageMaker's random search running the real
 * trainer for each trial, then FinalizeRun (a ledger line per trial) and the champion/challenger step on the
 * best trial's model. Tiny data and a few epochs of a tiny model: two trials (under a minute alone on 2 cores;
 * the limits leave room for a machine shared with other work).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeHyperParameterTuningJobCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, uploadSyntheticReceipts, type LocalPipeline } from '../../local/pipeline';
import { strictRunRecordSchema } from '../../src/contracts/run-record';

const root = path.resolve(import.meta.dirname, '../..');
const SMALL_TRAINING = { epochs: 2, hidden_size: 32, num_layers: 1, num_heads: 2 };

let pipeline: LocalPipeline;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-tuning-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', waitMs: 250, retryTimeScale: 0.01 });
  await uploadSyntheticReceipts(pipeline.services.clients.s3, pipeline.services.bucket, { count: 6, seed: 5 });
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('hyperparameter tuning on the local runtime', () => {
  it('runs a 2-trial random search, adopts the best trial as the run job, bills every trial and promotes the best model', async () => {
    // Prepare
    const runId = 'e2e-tuning';
    const tuning = {
      strategy: 'Random',
      maxJobs: 2,
      maxParallelJobs: 1,
      seed: 11,
      ranges: { learning_rate: { min: 0.001, max: 0.01, scaling: 'Logarithmic' }, dropout: { min: 0, max: 0.3 } },
    };

    // Act
    const outcome = await pipeline.execute(
      { runId, training: { hyperparameters: { ...SMALL_TRAINING, learning_rate: 0.5 } }, tuning },
      { executionName: runId },
    );

    // Assess: the execution went through the tuning states, not the training attempts.
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const entered = new Set(outcome.events.filter((e) => e.type === 'StateEntered').map((e) => e.stateName));
    for (const state of [
      'PrepareTuning',
      'CreateHyperParameterTuningJob',
      'PollTuning',
      'AdoptBestTrainingJob',
      'FinalizeRun',
      'PromoteModel',
    ]) {
      expect(entered.has(state), state).toBe(true);
    }
    expect(entered.has('CreateTrainingJob')).toBe(false);

    // Assess: the tuning job ran both trials, named as SageMaker names them, and chose the best by val_f1.
    const sagemaker = pipeline.services.clients.sagemaker;
    const job = await sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: `doctrain-${runId}` }));
    expect(job.HyperParameterTuningJobStatus).toBe('Completed');
    expect(job.TrainingJobStatusCounters).toMatchObject({ Completed: 2, InProgress: 0 });
    const { record } = await pipeline.runRecord(runId);
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.status).toBe('COMPLETED');
    const trials = record?.tuning?.trials ?? [];
    expect(trials.map((t) => t.trainingJobName)).toEqual([
      expect.stringMatching(new RegExp(`^doctrain-${runId}-001-[0-9a-f]{8}$`)),
      expect.stringMatching(new RegExp(`^doctrain-${runId}-002-[0-9a-f]{8}$`)),
    ]);
    // Each trial drew its own values in the ranges; the run's learning_rate (0.5) was overridden.
    for (const trial of trials) {
      expect(trial.status).toBe('Completed');
      expect(Number(trial.hyperparameters['learning_rate'])).toBeGreaterThanOrEqual(0.001);
      expect(Number(trial.hyperparameters['learning_rate'])).toBeLessThanOrEqual(0.01);
      const described = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: trial.trainingJobName }));
      expect(described.HyperParameters).toMatchObject({ ...trial.hyperparameters, epochs: '2', _tuning_objective_metric: 'val_f1' });
    }
    expect(new Set(trials.map((t) => t.hyperparameters['learning_rate'])).size).toBe(2);
    const best = trials.reduce((a, b) => ((b.objectiveValue ?? -1) > (a.objectiveValue ?? -1) ? b : a));
    expect(job.BestTrainingJob?.TrainingJobName).toBe(best.trainingJobName);
    expect(record?.tuning?.best?.trainingJobName).toBe(best.trainingJobName);
    expect(record?.trainingJobName).toBe(best.trainingJobName);
    expect(record?.metrics?.['val_f1']).toBe(best.objectiveValue);
    expect(record?.modelArtifactUri).toContain(`/${best.trainingJobName}/output/model.tar.gz`);

    // Assess: the ledger bills both trials; the promotion judged the best trial's model.
    expect(record?.cost?.training.map((line) => line.jobName).sort()).toEqual(trials.map((t) => t.trainingJobName).sort());
    expect(record?.promotion).toBeDefined();
  }, 300_000);

  it('fails the run with the reason when the tuning job fails (every trial failed)', async () => {
    // Prepare: hidden_size 33 is not divisible by num_heads 2: the trainer refuses it at once.
    const runId = 'e2e-tuning-fails';
    const tuning = { strategy: 'Random', maxJobs: 1, maxParallelJobs: 1, ranges: { dropout: { min: 0, max: 0.3 } } };
    // Act
    const outcome = await pipeline.execute(
      { runId, training: { hyperparameters: { ...SMALL_TRAINING, hidden_size: 33 } }, tuning },
      { executionName: runId },
    );
    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TuningJobFailed' });
    expect(outcome.cause).toContain('All training jobs failed');
    const { record } = await pipeline.runRecord(runId);
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.status).toBe('FAILED');
    expect(record?.failure).toMatchObject({
      error: 'TuningJobFailed',
      message: expect.stringContaining('All training jobs failed') as string,
    });
    expect(record?.tuning).toMatchObject({ status: 'Failed', trialsEnded: 1, best: null });
  }, 180_000);

  it('stops the tuning job on a stop request (doctrain stop): its trial stops and the run ends STOPPED', async () => {
    // Prepare: a long first trial (many epochs), so the stop meets it running.
    const runId = 'e2e-tuning-stop';
    const tuning = { strategy: 'Random', maxJobs: 2, maxParallelJobs: 1, ranges: { dropout: { min: 0, max: 0.3 } } };
    const execution = pipeline.start(
      { runId, training: { hyperparameters: { ...SMALL_TRAINING, epochs: 5000 } }, tuning },
      { executionName: runId },
    );
    await expect
      .poll(async () => (await pipeline.runRecord(runId)).record?.tuning?.trialsInProgress, { timeout: 120_000, interval: 100 })
      .toBe(1);

    // Act
    expect(await pipeline.store.requestStop(runId, { at: new Date().toISOString(), by: 'test' })).toBe('requested');
    const outcome = await execution.outcome;

    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED', output: { status: 'STOPPED' } });
    expect(outcome.events.some((e) => e.type === 'StateEntered' && e.stateName === 'StopTuningOnRequest')).toBe(true);
    const job = await pipeline.services.clients.sagemaker.send(
      new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: `doctrain-${runId}` }),
    );
    expect(job.HyperParameterTuningJobStatus).toBe('Stopped');
    expect(job.TrainingJobStatusCounters).toMatchObject({ Stopped: 1, InProgress: 0 });
    const { record } = await pipeline.runRecord(runId);
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.status).toBe('STOPPED');
  }, 240_000);

  it('fails the run in ValidateInput, before any job, when a range is one the trainer would refuse', async () => {
    // Act
    const outcome = await pipeline.execute(
      { runId: 'e2e-tuning-bad', tuning: { ranges: { epochs: { min: 0, max: 3 } } } },
      { executionName: 'e2e-tuning-bad' },
    );
    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
    expect(outcome.cause).toContain('tuning.ranges.epochs: min: must be in [1, 100000], got 0');
  });
});
