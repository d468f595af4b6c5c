/**
 * The local runtime's AWS clients: every service at an explicit local endpoint, with an explicit region
 * and credentials, built by the application's own client factories (src/aws/clients.ts). Nothing here
 * reads or writes process.env: the handlers, the emulators and the tests get these clients as arguments.
 */
import { createAwsClients, type AwsClients } from '../src/aws/clients';

export type LocalEndpoints = Record<'s3' | 'dynamodb' | 'textract' | 'sagemaker' | 'ecr' | 'serviceQuotas' | 'eventbridge', string>;

export const LOCAL_REGION = 'us-east-1';
/** s3rver only accepts this key pair; dynalite and the local emulators accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * The S3 client config for a local S3-compatible server (s3rver): path-style addressing, and checksums
 * only where required, as s3rver would otherwise store the streaming-checksum framing inside the
 * objects (FIELD-NOTES).
 */
export const localS3Config = (endpoint: string) =>
  ({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }) as const;

/** The client config for any other local service (dynalite, the local Textract, SageMaker, ECR, Service Quotas, EventBridge). */
export const localClientConfig = (endpoint: string) => ({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

/** Clients for the local services, each at its endpoint. */
export const localAwsClients = (endpoints: LocalEndpoints): AwsClients =>
  createAwsClients({
    s3: localS3Config(endpoints.s3),
    dynamo: localClientConfig(endpoints.dynamodb),
    textract: localClientConfig(endpoints.textract),
    sagemaker: localClientConfig(endpoints.sagemaker),
    ecr: localClientConfig(endpoints.ecr),
    serviceQuotas: localClientConfig(endpoints.serviceQuotas),
    eventBridge: localClientConfig(endpoints.eventbridge),
    // The local runtime's executions run in-process (local/executions.ts); `local up` serves their API (local/sfn/).
    sfn: { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
  });

/**
 * The environment another process (the aws CLI, `sls invoke local`, a shell) needs to reach the same
 * local services: what this module passes explicitly, as the SDK's environment variables.
 */
export const localClientEnvironment = (endpoints: LocalEndpoints): Record<string, string> => ({
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION, // the aws CLI v1 reads this one
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_S3: endpoints.s3,
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_TEXTRACT: endpoints.textract,
  AWS_ENDPOINT_URL_SAGEMAKER: endpoints.sagemaker,
  AWS_ENDPOINT_URL_ECR: endpoints.ecr,
  AWS_ENDPOINT_URL_SERVICE_QUOTAS: endpoints.serviceQuotas,
  AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
});
