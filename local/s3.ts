/**
 * The local S3: s3rver serving a folder, one sub-folder per bucket, with AWS's semantics for object keys.
 *
 * On S3 a key is an opaque string: `../../x`, `./y`, `a//b` are keys like any other. s3rver maps a key to
 * a file path by joining its `/`-separated segments, so a `..` segment climbs out of the bucket folder
 * (PutObject `../../x` wrote `<dataDir>/x`, outside the S3 folder), `.` and empty segments vanish (`./y`
 * came back as `y`, `a//b` as `a/b`). s3rver funnels every key -> path mapping through two static hooks
 * of its FilesystemStore (`encodeKeyPath`/`decodeKeyPath`, which it uses for Windows' reserved
 * characters); they are wrapped here so that a key's folder segments never mean anything to the file
 * system. No S3 server on npm stores keys opaquely on disk without a database, so this mapping is ours.
 */
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A folder segment the file system would interpret (`''`, `.`, `..`) gets a `%` in front, and so does one
 * that starts with `%`, which keeps the mapping reversible (`%..` is a key's `..`, `%%x` its `%x`). Only
 * folder segments (those followed by `/`) are mapped: the last segment becomes a file name with s3rver's
 * suffix (`.._S3rver_object`), which cannot climb. A prefix maps like the keys it starts, segment for
 * segment, which s3rver's listing relies on.
 */
const mapSegment = (segment: string): string =>
  segment === '' || segment === '.' || segment === '..' || segment.startsWith('%') ? `%${segment}` : segment;
const unmapSegment = (segment: string): string => (segment.startsWith('%') ? segment.slice(1) : segment);

const mapFolders = (keyPath: string, map: (segment: string) => string): string => {
  const segments = keyPath.split('/');
  const file = segments.pop() ?? '';
  return [...segments.map(map), file].join('/');
};

/** An object key -> its path below the bucket folder (`/`-separated), with no `.`, `..` or empty folder. */
export const keyToPath = (key: string): string => mapFolders(key, mapSegment);
/** keyToPath's inverse. */
export const pathToKey = (keyPath: string): string => mapFolders(keyPath, unmapSegment);

interface FilesystemStoreClass {
  encodeKeyPath(key: string): string;
  decodeKeyPath(keyPath: string): string;
}

let installed = false;
/** Wraps s3rver's key <-> path hooks once per process (they are static, shared by every s3rver instance). */
const installKeyMapping = (): void => {
  if (installed) return;
  const store = require('s3rver/lib/stores/filesystem') as FilesystemStoreClass;
  const encode = store.encodeKeyPath.bind(store);
  const decode = store.decodeKeyPath.bind(store);
  store.encodeKeyPath = (key) => encode(keyToPath(key));
  store.decodeKeyPath = (keyPath) => pathToKey(decode(keyPath));
  installed = true;
};

interface Listing {
  objects: { key: string }[];
  isTruncated: boolean;
}
interface ListingStore {
  listObjects(bucket: string, options: Record<string, unknown>): Promise<Listing>;
}
/** The slice of s3rver's (koa) request context its bucket listing uses. */
interface ListingContext {
  query: Record<string, string | undefined>;
  store: ListingStore;
  body?: { ListBucketResult?: Record<string, unknown> };
}
interface BucketController {
  getBucket(ctx: ListingContext): Promise<void>;
}

let tokensInstalled = false;
/**
 * ListObjectsV2 continuation tokens. s3rver encrypts its tokens with DES, which OpenSSL 3 (Node 17 on) no
 * longer offers: every listing of more than 1,000 keys failed with InternalError. Its bucket controller's
 * getBucket (looked up per request by its router) is wrapped once per process: a token is the last key
 * listed, base64url-encoded (opaque to clients, as S3's), turned back into s3rver's start-after; the
 * listing itself stays s3rver's.
 */
const installContinuationTokens = (): void => {
  if (tokensInstalled) return;
  const controller = require('s3rver/lib/controllers/bucket') as BucketController;
  const getBucket = controller.getBucket.bind(controller);
  controller.getBucket = async (ctx) => {
    if (ctx.query['list-type'] !== '2') return getBucket(ctx);
    const token = ctx.query['continuation-token'];
    if (token !== undefined) {
      delete ctx.query['continuation-token'];
      ctx.query['start-after'] = Buffer.from(token, 'base64url').toString('utf8');
    }
    let lastKey: string | undefined;
    const store = ctx.store;
    // This request's store reports no truncation, so that s3rver never makes a token of its own.
    ctx.store = Object.assign(Object.create(store) as ListingStore, {
      listObjects: async (bucket: string, options: Record<string, unknown>): Promise<Listing> => {
        const listing = await store.listObjects(bucket, options);
        if (listing.isTruncated) lastKey = listing.objects.at(-1)?.key;
        return { ...listing, isTruncated: false };
      },
    });
    await getBucket(ctx);
    const result = ctx.body?.ListBucketResult;
    if (result === undefined) return;
    if (token !== undefined) Object.assign(result, { StartAfter: undefined, ContinuationToken: token });
    if (lastKey !== undefined)
      Object.assign(result, { IsTruncated: true, NextContinuationToken: Buffer.from(lastKey, 'utf8').toString('base64url') });
  };
  tokensInstalled = true;
};

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 storing under `directory`, with `buckets` created. */
export const startLocalS3 = async (options: { directory: string; buckets: readonly string[]; port?: number }): Promise<LocalS3> => {
  installKeyMapping();
  installContinuationTokens();
  const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return { endpoint: `http://127.0.0.1:${address.port}`, close: () => server.close() };
};
