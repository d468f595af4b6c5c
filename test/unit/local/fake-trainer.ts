/** The local SageMaker's tests run it on fixtures/fake_trainer: the trainer's contract without a model. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { startLocalSageMaker, type LocalSageMaker, type LocalSageMakerOptions } from '../../../local/sagemaker';

/** Where the fake trainer module lives (fixtures/fake_trainer: the trainer's contract without a model). */
export const FAKE_TRAINER_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The local SageMaker running fixtures/fake_trainer as a process (stop timeout 5 s); `options` adds the rest. */
export const startFakeTrainerSageMaker = (
  s3: S3Client,
  workDir: string,
  options: Omit<Partial<LocalSageMakerOptions>, 's3' | 'workDir'> = {},
): Promise<LocalSageMaker> =>
  startLocalSageMaker({
    s3,
    workDir,
    trainerDir: FAKE_TRAINER_DIR,
    module: 'fake_trainer',
    runner: 'process',
    stopTimeoutSeconds: 5,
    ...options,
  });

/** The bytecode Python left beside the fake trainer. */
export const removeFakeTrainerCache = (): void =>
  rmSync(path.join(FAKE_TRAINER_DIR, 'fake_trainer', '__pycache__'), { recursive: true, force: true });
