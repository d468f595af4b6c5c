/**
 * The local SageMaker's job output as it happens: every trainer line told to onOutput as it arrives and
 * appended to the job's logs.txt, status changes (a spot interruption and the restart among them) told as
 * they happen, and status.json for another process: `doctrain logs --follow` on a local stage
 * (LocalTrainingLogs + followTrainingLogs) tails the job while it runs and ends with it, every line once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSageMaker, TrainingJobOutput } from '../../../local/sagemaker';
import { LocalTrainingLogs } from '../../../local/sagemaker/job-log';
import { localClientConfig } from '../../../local/clients';
import { followTrainingLogs } from '../../../src/logs/training-log';
import { removeFakeTrainerCache, startFakeTrainerSageMaker } from './fake-trainer';
import { startLocalS3, type LocalS3 } from './helpers';

const BUCKET = 'sagemaker-output-test';
const RUN = 'run-20261206000000001';
const JOB = `doctrain-${RUN}-a1`;

let s3: LocalS3;
let sagemaker: LocalSageMaker;
let client: SageMakerClient;
let workDir: string;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-sm-out-'));
  sagemaker = await startFakeTrainerSageMaker(s3.client, workDir, {
    checkpointSyncSeconds: 0.2,
    faults: { spotInterruptAfterSeconds: 0.6 },
  });
  client = new SageMakerClient(localClientConfig(sagemaker.endpoint));
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'datasets/fp/train-00000.jsonl', Body: '{"id":"a"}\n' }));
}, 20_000);

afterAll(async () => {
  client?.destroy();
  await sagemaker?.close();
  await s3?.close();
  rmSync(workDir, { recursive: true, force: true });
  removeFakeTrainerCache();
});

describe('local SageMaker output', { timeout: 120_000 }, () => {
  it('tells every line and status change as it happens, and a follower in another process reads the same lines', async () => {
    // Prepare: listen, then start a spot job that is interrupted once and resumes
    const told: TrainingJobOutput[] = [];
    const unsubscribe = sagemaker.onOutput((output) => told.push(output));
    await client.send(
      new CreateTrainingJobCommand({
        TrainingJobName: JOB,
        AlgorithmSpecification: { TrainingImage: 'doctrain-trainer:local', TrainingInputMode: 'File' },
        RoleArn: 'arn:aws:iam::123456789012:role/doctrain-sagemaker',
        InputDataConfig: [
          {
            ChannelName: 'train',
            DataSource: {
              S3DataSource: {
                S3DataType: 'S3Prefix',
                S3Uri: `s3://${BUCKET}/datasets/fp/train-`,
                S3DataDistributionType: 'FullyReplicated',
              },
            },
          },
        ],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
        EnableManagedSpotTraining: true,
        StoppingCondition: { MaxRuntimeInSeconds: 600, MaxWaitTimeInSeconds: 1200 },
        CheckpointConfig: { S3Uri: `s3://${BUCKET}/checkpoints/${JOB}/` },
        HyperParameters: { epochs: '6', epoch_seconds: '0.2' },
      }),
    );
    const logs = new LocalTrainingLogs(workDir);
    const followed: string[] = [];
    // The run "ends" once its one job has been followed: until the job folder appears, the follower waits for it.
    const runEnded = (): Promise<boolean> => Promise.resolve(followed.length > 0);

    // Act: follow the job from its folder while it runs, as `doctrain logs --follow --data-dir` does
    const jobs = await followTrainingLogs(logs, {
      runId: RUN,
      runEnded,
      follow: true,
      pollMs: 50,
      onLine: (_job, line) => followed.push(line),
    });
    await sagemaker.idle();
    unsubscribe();

    // Assess: the follower ended with the job, with every line of its log once, in order
    const logLines = readFileSync(path.join(workDir, JOB, 'logs.txt'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(jobs).toBe(1);
    expect(followed).toEqual(logLines);
    expect(await logs.status(JOB)).toMatchObject({ status: 'Completed', secondaryStatus: 'Completed', serverClosed: false });
    // Assess: onOutput told the same lines, and the statuses, the spot interruption and the restart among them
    expect(told.filter((o) => o.type === 'line').map((o) => (o.type === 'line' ? o.line : ''))).toEqual(logLines);
    expect(logLines.filter((line) => line.startsWith('[metric]'))).toHaveLength(6);
    expect(logLines.some((line) => line.startsWith('[resume] from epoch'))).toBe(true);
    const statuses = told.flatMap((o) => (o.type === 'status' ? [o.secondaryStatus] : []));
    expect(statuses).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Interrupted',
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed',
    ]);
    const statusEvents = told.filter((o) => o.type === 'status');
    const afterInterruption = statusEvents[statusEvents.findIndex((o) => o.secondaryStatus === 'Interrupted') + 1];
    expect(afterInterruption).toMatchObject({ secondaryStatus: 'Starting', message: expect.stringMatching(/restart/i) });
  });
});
