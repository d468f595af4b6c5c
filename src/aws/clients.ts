/**
 * One factory per AWS client. Callers build each client once and pass it on: a Lambda handler module at
 * module scope (src/lambda/wiring.ts, endpoints and region from the SDK's own environment lookup, as on
 * AWS), the CLI at start, the local runtime with explicit endpoints (local/clients.ts). No factory reads
 * anything itself: what differs between AWS and a local run is the config handed in.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SageMakerClient, type SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { TextractClient, type TextractClientConfig } from '@aws-sdk/client-textract';
import { TEXTRACT_MAX_ATTEMPTS } from '../textract/throughput';

export const createS3Client = (config: S3ClientConfig = {}): S3Client => new S3Client(config);

export const createDynamoDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });

/** Standard retry mode, jittered backoff on throttling; why not adaptive: src/textract/throughput.ts. */
export const createTextractClient = (config: TextractClientConfig = {}): TextractClient =>
  new TextractClient({ maxAttempts: TEXTRACT_MAX_ATTEMPTS, retryMode: 'standard', ...config });

export const createSageMakerClient = (config: SageMakerClientConfig = {}): SageMakerClient => new SageMakerClient(config);

export const createSfnClient = (config: SFNClientConfig = {}): SFNClient => new SFNClient(config);

/** Every client the system uses, built by the factories above with one config each. */
export interface AwsClients {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  textract: TextractClient;
  sagemaker: SageMakerClient;
  sfn: SFNClient;
}

/** Per-service client config; absent: the SDK's defaults (region, credentials, endpoints from its environment lookup). */
export interface AwsClientsConfig {
  s3?: S3ClientConfig;
  dynamo?: DynamoDBClientConfig;
  textract?: TextractClientConfig;
  sagemaker?: SageMakerClientConfig;
  sfn?: SFNClientConfig;
}

export const createAwsClients = (config: AwsClientsConfig = {}): AwsClients => ({
  s3: createS3Client(config.s3),
  dynamo: createDynamoDocumentClient(config.dynamo),
  textract: createTextractClient(config.textract),
  sagemaker: createSageMakerClient(config.sagemaker),
  sfn: createSfnClient(config.sfn),
});

/** Closes every client's sockets (a long-lived process that is done with them; Lambda never needs it). */
export const destroyAwsClients = (clients: AwsClients): void => {
  for (const client of [clients.s3, clients.dynamo, clients.textract, clients.sagemaker, clients.sfn]) client.destroy();
};
