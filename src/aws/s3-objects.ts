/** Small typed helpers over S3 used by every pipeline step; all take the client so tests can inject one. */
import { CopyObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  key: string;
}

export const s3Uri = ({ bucket, key }: S3Location): string => `s3://${bucket}/${key}`;

/** `s3://bucket/key`; `s3://bucket` (no slash) is the bucket's root, key ''. */
export const parseS3Uri = (uri: string): S3Location => {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match?.[1]) throw new Error(`Not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] ?? '' };
};

export const getBytes = async (s3: S3Client, { bucket, key }: S3Location): Promise<Uint8Array> => {
  const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!result.Body) throw new Error(`Empty body for s3://${bucket}/${key}`);
  return result.Body.transformToByteArray();
};

/** S3's "no such object" answer, from GetObject or CopyObject (whose error is not always the modelled class). */
export const isNoSuchKey = (error: unknown): boolean =>
  error instanceof NoSuchKey || (error as { name?: string } | null)?.name === 'NoSuchKey';

/** Undefined when the object does not exist; other errors propagate. */
export const getBytesIfExists = async (s3: S3Client, location: S3Location): Promise<Uint8Array | undefined> => {
  try {
    return await getBytes(s3, location);
  } catch (error) {
    if (isNoSuchKey(error)) return undefined;
    throw error;
  }
};

export const getJson = async (s3: S3Client, location: S3Location): Promise<unknown> =>
  JSON.parse(Buffer.from(await getBytes(s3, location)).toString('utf8')) as unknown;

export const putBody = async (s3: S3Client, { bucket, key }: S3Location, body: string | Uint8Array, contentType: string): Promise<void> => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
};

export const putJson = (s3: S3Client, location: S3Location, value: unknown): Promise<void> =>
  putBody(s3, location, `${JSON.stringify(value, null, 2)}\n`, 'application/json');

export const copyObject = async (s3: S3Client, from: S3Location, to: S3Location): Promise<void> => {
  await s3.send(
    new CopyObjectCommand({
      Bucket: to.bucket,
      Key: to.key,
      CopySource: `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`,
    }),
  );
};

/** One object of a listing: its key, ETag (quotes removed) and size. */
export interface ListedObject {
  key: string;
  etag: string;
  size: number;
}

/** Every object under a prefix, in key order (ListObjectsV2 through the SDK's paginator). */
export const listObjects = async (s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> => {
  const objects: ListedObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const item of page.Contents ?? []) {
      if (item.Key !== undefined) objects.push({ key: item.Key, etag: (item.ETag ?? '').replaceAll('"', ''), size: item.Size ?? 0 });
    }
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
};

export const listKeys = async (s3: S3Client, bucket: string, prefix: string): Promise<string[]> =>
  (await listObjects(s3, bucket, prefix)).map((object) => object.key);
