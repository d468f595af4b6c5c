/**
 * The local S3 keeps S3's semantics for keys: a key is an opaque string, so `..`, `.` and empty segments
 * are stored as they are, read back and listed unchanged, and never reach the file system as path
 * components (a `..` key must not write outside the bucket's folder).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyToPath, pathToKey, startLocalS3, type LocalS3 } from '../../../local/s3';

const BUCKET = 'doctrain-local';
/** Keys a file system would interpret; on S3 each is just a key. */
const TRICKY_KEYS = [
  '../../escape.txt',
  'documents/../../../../escape-deep.txt',
  '../sibling.txt',
  '..',
  './dot.txt',
  'documents/./inner.txt',
  '%../looks-mapped.txt',
  '%%/percent.txt',
  '...',
  'documents/..hidden/x.txt',
];

/** Keys with an empty segment: s3rver's router answers 404 (a known limit of the local S3; S3 accepts them). */
const EMPTY_SEGMENT_KEYS = ['documents//double-slash.txt', '/leading-slash.txt'];

const files = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));

let dataDir: string;
let s3Dir: string;
let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-local-s3-'));
  // The S3 folder sits two levels below dataDir, so a key that climbs two levels would land in dataDir.
  s3Dir = path.join(dataDir, 'stage', 's3');
  s3 = await startLocalS3({ directory: s3Dir, buckets: [BUCKET] });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('local S3 keys', () => {
  it('maps keys to paths reversibly, with no folder segment a file system interprets', () => {
    for (const key of [...TRICKY_KEYS, ...EMPTY_SEGMENT_KEYS, 'documents/receipt-1.png', 'ocr-cache/ab/cd.json', '', 'a/b/']) {
      const mapped = keyToPath(key);
      expect(pathToKey(mapped), key).toBe(key);
      const folders = mapped.split('/').slice(0, -1);
      for (const folder of folders) expect(['', '.', '..'], `${key} -> ${mapped}`).not.toContain(folder);
    }
    // Ordinary keys keep their layout on disk.
    expect(keyToPath('documents/receipt-1.png')).toBe('documents/receipt-1.png');
  });

  it('stores every key inside the bucket folder and gives it back unchanged', async () => {
    // Act
    for (const key of TRICKY_KEYS) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}` }));
    for (const key of EMPTY_SEGMENT_KEYS) {
      await expect(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'refused' })), key).rejects.toThrow();
    }
    // Assess: every byte written is below <s3Dir>/<bucket>/...
    const written = await files(dataDir);
    const outside = written.filter((file) => !file.startsWith(path.join(s3Dir, BUCKET) + path.sep));
    expect(outside).toEqual([]);
    expect(written.filter((file) => file.endsWith('._S3rver_object'))).toHaveLength(TRICKY_KEYS.length);
    // ...each object reads back under its own key...
    for (const key of TRICKY_KEYS) {
      const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await object.Body?.transformToString(), key).toBe(`body of ${key}`);
    }
    // ...and is listed under it, with prefixes working as on S3.
    const listed = (await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents?.map((o) => o.Key) ?? [];
    expect([...listed].sort()).toEqual([...TRICKY_KEYS].sort());
    const documents =
      (await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'documents/' }))).Contents?.map((o) => o.Key) ?? [];
    expect([...documents].sort()).toEqual(TRICKY_KEYS.filter((key) => key.startsWith('documents/')).sort());
  });
});

describe('local S3 listings', () => {
  it('pages a listing of more than 1,000 keys with continuation tokens, as ListObjectsV2 does', async () => {
    // Prepare: 1,205 keys under one prefix (s3rver's own DES tokens fail on OpenSSL 3).
    const keys = Array.from({ length: 1205 }, (_, n) => `many/key-${String(n).padStart(5, '0')}.txt`);
    for (let start = 0; start < keys.length; start += 50) {
      await Promise.all(
        keys.slice(start, start + 50).map((key) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }))),
      );
    }

    // Act
    const pages: { keys: string[]; truncated: boolean; token: string | undefined }[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: 'many/',
          MaxKeys: 500,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      token = page.NextContinuationToken;
      pages.push({ keys: (page.Contents ?? []).map((o) => o.Key ?? ''), truncated: page.IsTruncated ?? false, token });
    } while (token !== undefined);

    // Assess: three pages, every key once, in order.
    expect(pages.map((page) => [page.keys.length, page.truncated])).toEqual([
      [500, true],
      [500, true],
      [205, false],
    ]);
    expect(pages.flatMap((page) => page.keys)).toEqual(keys);
  });
});
