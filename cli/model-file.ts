/**
 * The model of a local run as a file a person can open: the artifact is an object in the stage's S3
 * (s3rver keeps it as its own internal file, not as `model.tar.gz`), so after the run it is copied to
 * `<dataDir>/models/<runId>/model.tar.gz`, the path the summary prints (`doctrain predict --model <path>`).
 * On AWS there is nothing to copy: the summary's s3:// URI is what `aws s3 cp` and `predict` take.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../src/aws/s3-objects';

/** Where a local stage keeps the copy of a run's model. */
export const localModelFile = (dataDir: string, runId: string): string => path.join(dataDir, 'models', runId, 'model.tar.gz');

/** Copies the run's model artifact (an s3:// URI of the stage's S3) to its local file; returns the file's path. */
export const copyModelToStage = async (s3: S3Client, artifactUri: string, dataDir: string, runId: string): Promise<string> => {
  const { bucket, key } = parseS3Uri(artifactUri);
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(object.Body instanceof Readable)) throw new Error(`no readable body for ${artifactUri}`);
  const file = localModelFile(dataDir, runId);
  await mkdir(path.dirname(file), { recursive: true });
  await pipeline(object.Body, createWriteStream(file));
  return file;
};
