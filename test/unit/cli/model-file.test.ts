/** The summary's model file: the run's artifact copied out of the stage's S3 (s3rver) to <dataDir>/models/<runId>/model.tar.gz. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyModelToStage, localModelFile } from '../../../cli/model-file';
import { startLocalS3, type LocalS3 } from '../local/helpers';

const BUCKET = 'model-file-test';
const KEY = 'models/receipts/doctrain-run-1-a1/output/model.tar.gz';

let s3: LocalS3;
let dataDir: string;
beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-model-file-'));
}, 20_000);
afterAll(async () => {
  await s3?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('model file', () => {
  it("copies the artifact's bytes to <dataDir>/models/<runId>/model.tar.gz and returns that path", async () => {
    // Prepare
    const bytes = Buffer.from([0x1f, 0x8b, 8, 0, ...Array.from({ length: 70_000 }, (_, i) => i % 251)]);
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: bytes }));

    // Act
    const file = await copyModelToStage(s3.client, `s3://${BUCKET}/${KEY}`, dataDir, 'run-1');

    // Assess
    expect(file).toBe(path.join(dataDir, 'models', 'run-1', 'model.tar.gz'));
    expect(localModelFile(dataDir, 'run-1')).toBe(file);
    expect(Buffer.compare(await readFile(file), bytes)).toBe(0);
  });
});
