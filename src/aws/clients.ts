/**
 * One factory per AWS client, each client built once per process (module scope in the handlers).
 * Endpoints come from the SDK's own configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`),
 * so a local run differs from AWS only by environment, never by a branch in code.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { TextractClient } from '@aws-sdk/client-textract';
import { TEXTRACT_MAX_ATTEMPTS } from '../textract/throughput';

const memo = <T>(build: () => T): (() => T) => {
  let client: T | undefined;
  return () => (client ??= build());
};

/** Path-style addressing is an endpoint setting: S3-compatible local servers need it. */
const s3ForcePathStyle = (): boolean => process.env['DOCTRAIN_S3_FORCE_PATH_STYLE'] === 'true';

export const s3Client = memo(() => new S3Client({ forcePathStyle: s3ForcePathStyle() }));
export const dynamoDocumentClient = memo(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);
/** Standard retry mode, jittered backoff on throttling; why not adaptive: src/textract/throughput.ts. */
export const textractClient = memo(() => new TextractClient({ maxAttempts: TEXTRACT_MAX_ATTEMPTS, retryMode: 'standard' }));
export const sageMakerClient = memo(() => new SageMakerClient({}));
export const sfnClient = memo(() => new SFNClient({}));
export const ecrClient = memo(() => new ECRClient({}));
export const serviceQuotasClient = memo(() => new ServiceQuotasClient({}));
