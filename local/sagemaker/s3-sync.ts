/** S3 transfers for the local SageMaker, through the S3 client it was started with (the local S3). */
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { listKeys as listObjectKeys, s3Uri } from '../../src/aws/s3-objects';
import type { S3Location } from '../../src/aws/s3-objects';

export { s3Uri };

/** Object keys under a prefix, without the zero-byte "folder" markers some tools create. */
const listKeys = async (s3: S3Client, bucket: string, prefix: string): Promise<string[]> =>
  (await listObjectKeys(s3, bucket, prefix)).filter((key) => !key.endsWith('/'));

const download = async (s3: S3Client, bucket: string, key: string, file: string): Promise<void> => {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(out.Body instanceof Readable)) throw new Error(`s3://${bucket}/${key}: no body`);
  await mkdir(path.dirname(file), { recursive: true });
  await pipeline(out.Body, createWriteStream(file));
};

/** Downloads in flight at once per folder. */
const DOWNLOAD_CONCURRENCY = 8;

const downloadAll = async (s3: S3Client, bucket: string, keys: readonly string[], fileFor: (key: string) => string): Promise<void> => {
  const limit = pLimit(DOWNLOAD_CONCURRENCY);
  await Promise.all(keys.map((key) => limit(() => download(s3, bucket, key, fileFor(key)))));
};

/**
 * S3Prefix semantics: every object whose key starts with the prefix string. Each lands under `dir` at its
 * path relative to the prefix's "folder" (the prefix up to its last '/'), i.e. at its basename for a flat
 * prefix such as `datasets/<fp>/train-`. Returns the number of files.
 */
export const downloadPrefix = async (s3: S3Client, loc: S3Location, dir: string): Promise<number> => {
  const keys = await listKeys(s3, loc.bucket, loc.key);
  const folder = loc.key.slice(0, loc.key.lastIndexOf('/') + 1);
  await downloadAll(s3, loc.bucket, keys, (key) => path.join(dir, key.slice(folder.length)));
  return keys.length;
};

/** A checkpoint "folder" URI as a key prefix that ends with '/' (so `ckpt` does not match `ckpt-old/`). */
export const folderPrefix = (loc: S3Location): string => (loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`);

export const downloadFolder = async (s3: S3Client, loc: S3Location, dir: string): Promise<number> => {
  const prefix = folderPrefix(loc);
  const keys = await listKeys(s3, loc.bucket, prefix);
  await downloadAll(s3, loc.bucket, keys, (key) => path.join(dir, key.slice(prefix.length)));
  return keys.length;
};

export const uploadFile = async (s3: S3Client, file: string, bucket: string, key: string): Promise<void> => {
  // Opened first: a file that vanishes before (a trainer's temp checkpoint renamed into place) rejects
  // here, where the caller handles it; a stream opened lazily would emit an unhandled 'error' and crash
  // the process. Once open, a rename or removal no longer matters: the descriptor still reads the bytes.
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // A stream with a known length: no whole-file buffering for large models/checkpoints.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: handle.createReadStream({ autoClose: false }), ContentLength: size }),
    );
  } finally {
    await handle.close();
  }
};

const walk = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(full)));
    else if (e.isFile()) files.push(full);
  }
  return files;
};

export const isEmptyDir = async (dir: string): Promise<boolean> => (await walk(dir)).length === 0;

/**
 * Upload-only mirror of a local folder to an S3 folder (like SageMaker's checkpoint sync: local deletions
 * are not propagated). Files unchanged since the last call (same size and mtime) are skipped.
 */
export class FolderSync {
  private readonly uploaded = new Map<string, string>();
  private running: Promise<void> = Promise.resolve();

  public constructor(
    private readonly s3: S3Client,
    private readonly dir: string,
    private readonly target: S3Location,
  ) {}

  /** Serialised: overlapping calls (timer + final sync) run one after the other. */
  public sync(): Promise<void> {
    const run = this.running.then(() => this.syncOnce());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(): Promise<void> {
    const prefix = folderPrefix(this.target);
    for (const file of await walk(this.dir)) {
      const info = await stat(file).catch(() => undefined);
      if (info === undefined) continue; // removed meanwhile (e.g. a temp file renamed into place)
      const signature = `${info.size}:${info.mtimeMs}`;
      if (this.uploaded.get(file) === signature) continue;
      const rel = path.relative(this.dir, file).split(path.sep).join('/');
      try {
        await uploadFile(this.s3, file, this.target.bucket, `${prefix}${rel}`);
      } catch (error) {
        if ((await stat(file).catch(() => undefined)) === undefined) continue; // vanished mid-upload
        throw error;
      }
      this.uploaded.set(file, signature);
    }
  }
}
