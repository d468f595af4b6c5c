import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** The S3 client; `config` is all that differs between AWS (none: the SDK's environment lookup) and a local S3 (local/clients.ts). */
export const createS3Client = (config: S3ClientConfig = {}): S3Client => new S3Client(config);
