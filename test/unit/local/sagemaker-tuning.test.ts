/**
 * The local SageMaker's automatic model tuning (local/sagemaker/tuning.ts): SageMaker's request checks, a
 * seeded random search whose trials are ordinary local training jobs (the fake trainer: its val_f1 grows
 * with its epochs, so the best trial is known), SageMaker's trial names, the best trial, pagination, stop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  StopHyperParameterTuningJobCommand,
  paginateListTrainingJobsForHyperParameterTuningJob,
  type CreateHyperParameterTuningJobCommandInput,
  type HyperParameterTrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSageMaker } from '../../../local/sagemaker';
import { drawHyperparameters } from '../../../local/sagemaker/tuning';
import { mulberry32 } from '../../../local/synth/prng';
import { localClientConfig } from '../../../local/clients';
import { removeFakeTrainerCache, startFakeTrainerSageMaker } from './fake-trainer';
import { startLocalS3, type LocalS3 } from './helpers';

const BUCKET = 'sagemaker-tuning-test';

let s3: LocalS3;
let sagemaker: LocalSageMaker;
let client: SageMakerClient;
let workDir: string;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sm-tuning-'));
  sagemaker = await startFakeTrainerSageMaker(s3.client, workDir, { checkpointSyncSeconds: 0.2 });
  client = new SageMakerClient(localClientConfig(sagemaker.endpoint));
  const put = (Key: string, Body: string) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  await put('datasets/fp1/train-00000.jsonl', '{"id":"a"}\n');
  await put('datasets/fp1/validation-00000.jsonl', '{"id":"c"}\n');
  await put('datasets/fp1/labels.json', '{"schemaVersion":1,"labels":["O"]}');
}, 20_000);

afterAll(async () => {
  client?.destroy();
  await sagemaker?.close();
  await s3?.close();
  rmSync(workDir, { recursive: true, force: true });
  removeFakeTrainerCache();
});

const request = (
  name: string,
  overrides: Partial<CreateHyperParameterTuningJobCommandInput['HyperParameterTuningJobConfig']> = {},
): CreateHyperParameterTuningJobCommandInput => ({
  HyperParameterTuningJobName: name,
  HyperParameterTuningJobConfig: {
    Strategy: 'Random',
    HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val_f1' },
    ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 2 },
    ParameterRanges: {
      CategoricalParameterRanges: [{ Name: 'epochs', Values: ['1', '2', '3'] }],
      ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.001', MaxValue: '0.1', ScalingType: 'Logarithmic' }],
    },
    TrainingJobEarlyStoppingType: 'Auto',
    RandomSeed: 3,
    ...overrides,
  },
  TrainingJobDefinition: {
    AlgorithmSpecification: {
      TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-trainer:latest',
      TrainingInputMode: 'File',
      MetricDefinitions: [{ Name: 'val_f1', Regex: 'val_f1=([0-9.]+)' }],
    },
    RoleArn: 'arn:aws:iam::123456789012:role/doctrain-sagemaker',
    StaticHyperParameters: { epoch_seconds: '0.05' },
    InputDataConfig: [
      ['train', `s3://${BUCKET}/datasets/fp1/train-`],
      ['validation', `s3://${BUCKET}/datasets/fp1/validation-`],
      ['labels', `s3://${BUCKET}/datasets/fp1/labels.json`],
    ].map(([ChannelName, S3Uri]) => ({ ChannelName, DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri } } })),
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/` },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 600, MaxWaitTimeInSeconds: 600 },
    EnableManagedSpotTraining: true,
    CheckpointConfig: { S3Uri: `s3://${BUCKET}/checkpoints/run1/` },
  },
});

const trials = async (name: string): Promise<HyperParameterTrainingJobSummary[]> => {
  const found: HyperParameterTrainingJobSummary[] = [];
  const pages = paginateListTrainingJobsForHyperParameterTuningJob(
    { client, pageSize: 1 },
    { HyperParameterTuningJobName: name, SortBy: 'CreationTime', SortOrder: 'Ascending' },
  );
  for await (const page of pages) found.push(...(page.TrainingJobSummaries ?? []));
  return found;
};

// Generous limits: other work may share these 2 cores; each fake trial ends in about a second.
describe('local SageMaker tuning', { timeout: 120_000 }, () => {
  it('runs every trial as a training job named as SageMaker names it, and picks the best by the objective', async () => {
    // Act
    const created = await client.send(new CreateHyperParameterTuningJobCommand(request('tune-ok')));
    await sagemaker.idle();
    const job = await client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'tune-ok' }));
    const listed = await trials('tune-ok');
    // Assess
    expect(created.HyperParameterTuningJobArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/tune-ok');
    expect(job.HyperParameterTuningJobStatus).toBe('Completed');
    expect(job.TrainingJobStatusCounters).toMatchObject({ Completed: 3, InProgress: 0, NonRetryableError: 0 });
    expect(job.ObjectiveStatusCounters).toMatchObject({ Succeeded: 3, Pending: 0, Failed: 0 });
    expect(listed.map((t) => t.TrainingJobName)).toEqual([
      expect.stringMatching(/^tune-ok-001-[0-9a-f]{8}$/),
      expect.stringMatching(/^tune-ok-002-[0-9a-f]{8}$/),
      expect.stringMatching(/^tune-ok-003-[0-9a-f]{8}$/),
    ]);
    // The fake trainer's final val_f1 is 0.5 + 0.1 x epochs: the best trial is one with the most epochs.
    const value = (t: HyperParameterTrainingJobSummary) => t.FinalHyperParameterTuningJobObjectiveMetric?.Value ?? -1;
    for (const t of listed) expect(value(t)).toBeCloseTo(0.5 + 0.1 * Number(t.TunedHyperParameters?.['epochs']), 6);
    const best = listed.reduce((a, b) => (value(b) > value(a) ? b : a));
    expect(job.BestTrainingJob?.TrainingJobName).toBe(best.TrainingJobName);
    // Each trial: the static and drawn hyperparameters, the objective's name, its own checkpoint prefix.
    const trial = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: listed[0]?.TrainingJobName }));
    expect(trial.HyperParameters).toEqual({
      ...listed[0]?.TunedHyperParameters,
      epoch_seconds: '0.05',
      _tuning_objective_metric: 'val_f1',
    });
    expect(trial.CheckpointConfig?.S3Uri).toBe(`s3://${BUCKET}/checkpoints/run1/${listed[0]?.TrainingJobName}/`);
    expect(trial.EnableManagedSpotTraining).toBe(true);
  });

  it('draws the same trials for the same seed, within the ranges and their scaling', () => {
    // Prepare
    const ranges = {
      IntegerParameterRanges: [{ Name: 'num_layers', MinValue: '1', MaxValue: '4', ScalingType: 'Auto' as const }],
      ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.0001', MaxValue: '0.1', ScalingType: 'Logarithmic' as const }],
      CategoricalParameterRanges: [{ Name: 'backend', Values: ['compact', 'hf'] }],
    };
    // Act
    const draw = (seed: number) => {
      const rng = mulberry32(seed);
      return Array.from({ length: 50 }, () => drawHyperparameters(rng, ranges));
    };
    const [first, again, other] = [draw(1), draw(1), draw(2)];
    // Assess
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    for (const hps of first) {
      expect(Number(hps['num_layers'])).toSatisfy((n: number) => Number.isInteger(n) && n >= 1 && n <= 4);
      expect(Number(hps['learning_rate'])).toSatisfy((x: number) => x >= 0.0001 && x <= 0.1);
      expect(['compact', 'hf']).toContain(hps['backend']);
    }
    // Logarithmic: about a third of the draws below 0.001 (linear would put 0.9 % there).
    expect(first.filter((hps) => Number(hps['learning_rate']) < 0.001).length).toBeGreaterThan(5);
  });

  it.each([
    [
      'an objective that is no metric definition',
      request('tune-bad-1', { HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val_f2' } }),
      /val_f2 is not one of the algorithm's MetricDefinitions/,
    ],
    [
      'a name longer than 32 characters',
      request('t'.repeat(33)),
      /Value 't{33}' at 'hyperParameterTuningJobName' failed to satisfy constraint: Member must have length less than or equal to 32/,
    ],
    [
      'an unknown strategy',
      request('tune-bad-2', { Strategy: 'Genetic' as 'Random' }),
      /Member must satisfy enum value set: \[Bayesian, Random, Hyperband, Grid\]/,
    ],
    ['Hyperband with early stopping', request('tune-bad-3', { Strategy: 'Hyperband' }), /must be Off for the Hyperband strategy/],
    [
      'a range whose min is above its max',
      request('tune-bad-4', { ParameterRanges: { IntegerParameterRanges: [{ Name: 'epochs', MinValue: '3', MaxValue: '1' }] } }),
      /range of hyperparameter epochs is invalid/,
    ],
  ])('refuses %s with a ValidationException', async (_what, input, message) => {
    // Act
    const refusal = client.send(new CreateHyperParameterTuningJobCommand(input));
    // Assess
    await expect(refusal).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(message) as string });
  });

  it('stops its running trials on StopHyperParameterTuningJob and ends Stopped', async () => {
    // Prepare: long trials.
    const input = request('tune-stop', { ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 1 } });
    input.TrainingJobDefinition = { ...input.TrainingJobDefinition!, StaticHyperParameters: { epoch_seconds: '5' } };
    await client.send(new CreateHyperParameterTuningJobCommand(input));
    // Act
    await client.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'tune-stop' }));
    await sagemaker.idle();
    const job = await client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'tune-stop' }));
    // Assess
    expect(job.HyperParameterTuningJobStatus).toBe('Stopped');
    expect((await trials('tune-stop')).map((t) => t.TrainingJobStatus)).toEqual(['Stopped']);
  });
});
