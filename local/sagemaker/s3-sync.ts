/** S3 transfers for the local SageMaker, all through the project's `s3Client()` (endpoint from the environment). */
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/aws/clients';
import { listKeys as listObjectKeys, s3Uri } from '../../src/aws/s3-objects';
import type { S3Location } from './validate';

export { s3Uri };

/** Object keys under a prefix, without the zero-byte "folder" markers some tools create. */
const listKeys = async (bucket: string, prefix: string): Promise<string[]> =>
  (await listObjectKeys(s3Client(), bucket, prefix)).filter((key) => !key.endsWith('/'));

const download = async (bucket: string, key: string, file: string): Promise<void> => {
  const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(out.Body instanceof Readable)) throw new Error(`s3://${bucket}/${key}: no body`);
  await mkdir(path.dirname(file), { recursive: true });
  await pipeline(out.Body, createWriteStream(file));
};

/** Run `fn` over `items` with at most `limit` in flight. */
const eachLimit = async <T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
};

/**
 * S3Prefix semantics: every object whose key starts with the prefix string. Each lands under `dir` at its
 * path relative to the prefix's "folder" (the prefix up to its last '/'), i.e. at its basename for a flat
 * prefix such as `datasets/<fp>/train-`. Returns the number of files.
 */
export const downloadPrefix = async (loc: S3Location, dir: string): Promise<number> => {
  const keys = await listKeys(loc.bucket, loc.key);
  const folder = loc.key.slice(0, loc.key.lastIndexOf('/') + 1);
  await eachLimit(keys, 8, (key) => download(loc.bucket, key, path.join(dir, key.slice(folder.length))));
  return keys.length;
};

/** A checkpoint "folder" URI as a key prefix that ends with '/' (so `ckpt` does not match `ckpt-old/`). */
export const folderPrefix = (loc: S3Location): string =>
  loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;

export const downloadFolder = async (loc: S3Location, dir: string): Promise<number> => {
  const prefix = folderPrefix(loc);
  const keys = await listKeys(loc.bucket, prefix);
  await eachLimit(keys, 8, (key) => download(loc.bucket, key, path.join(dir, key.slice(prefix.length))));
  return keys.length;
};

export const uploadFile = async (file: string, bucket: string, key: string): Promise<void> => {
  // Opened first: a file that vanishes before (a trainer's temp checkpoint renamed into place) rejects
  // here, where the caller handles it; a stream opened lazily would emit an unhandled 'error' and crash
  // the process. Once open, a rename or removal no longer matters: the descriptor still reads the bytes.
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // A stream with a known length: no whole-file buffering for large models/checkpoints.
    await s3Client().send(
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
        await uploadFile(file, this.target.bucket, `${prefix}${rel}`);
      } catch (error) {
        if ((await stat(file).catch(() => undefined)) === undefined) continue; // vanished mid-upload
        throw error;
      }
      this.uploaded.set(file, signature);
    }
  }
}
