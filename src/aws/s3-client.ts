import { S3Client } from '@aws-sdk/client-s3';
import { memo } from './memo';

/** Path-style addressing is an endpoint setting: S3-compatible local servers need it. */
const s3ForcePathStyle = (): boolean => process.env['DOCTRAIN_S3_FORCE_PATH_STYLE'] === 'true';

export const s3Client = memo(() => new S3Client({ forcePathStyle: s3ForcePathStyle() }));
