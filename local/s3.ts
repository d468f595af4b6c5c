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

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 storing under `directory`, with `buckets` created. */
export const startLocalS3 = async (options: { directory: string; buckets: readonly string[]; port?: number }): Promise<LocalS3> => {
  installKeyMapping();
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
