/**
 * One factory per AWS client, each in its own module (`./<service>-client`). Callers build each client
 * once and pass it on: a Lambda handler module at module scope (`<fn>DepsFromEnv`: endpoints and region
 * from the SDK's own environment lookup, as on AWS), the CLI at start, the local runtime with explicit
 * endpoints (local/clients.ts). No factory reads anything itself: what differs between AWS and a local
 * run is the config handed in.
 *
 * Lambda handlers (functions/, and what they import from src/) import the per-client modules directly,
 * so a function's bundle holds only the SDK clients it uses: importing this file pulls every client into
 * the bundle (test/unit/template/package-after-invoke.test.ts fails then). The CLI, the local runtime,
 * benchmarks and tests may import all of them from here.
 */
import type { ECRClient, ECRClientConfig } from '@aws-sdk/client-ecr';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient, EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import type { ServiceQuotasClient, ServiceQuotasClientConfig } from '@aws-sdk/client-service-quotas';
import type { SFNClient, SFNClientConfig } from '@aws-sdk/client-sfn';
import type { TextractClient, TextractClientConfig } from '@aws-sdk/client-textract';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from './dynamodb-client';
import { createEcrClient } from './ecr-client';
import { createEventBridgeClient } from './eventbridge-client';
import { createS3Client } from './s3-client';
import { createSageMakerClient } from './sagemaker-client';
import { createServiceQuotasClient } from './service-quotas-client';
import { createSfnClient } from './sfn-client';
import { createTextractClient } from './textract-client';

export {
  createDynamoDocumentClient,
  createEcrClient,
  createEventBridgeClient,
  createS3Client,
  createSageMakerClient,
  createServiceQuotasClient,
  createSfnClient,
  createTextractClient,
};

/** Every client the system uses, built by the factories above with one config each. */
export interface AwsClients {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  textract: TextractClient;
  sagemaker: SageMakerClient;
  sfn: SFNClient;
  ecr: ECRClient;
  serviceQuotas: ServiceQuotasClient;
  eventBridge: EventBridgeClient;
}

/** Per-service client config; absent: the SDK's defaults (region, credentials, endpoints from its environment lookup). */
export interface AwsClientsConfig {
  s3?: S3ClientConfig;
  dynamo?: DynamoDBClientConfig;
  textract?: TextractClientConfig;
  sagemaker?: SageMakerClientConfig;
  sfn?: SFNClientConfig;
  ecr?: ECRClientConfig;
  serviceQuotas?: ServiceQuotasClientConfig;
  eventBridge?: EventBridgeClientConfig;
}

export const createAwsClients = (config: AwsClientsConfig = {}): AwsClients => ({
  s3: createS3Client(config.s3),
  dynamo: createDynamoDocumentClient(config.dynamo),
  textract: createTextractClient(config.textract),
  sagemaker: createSageMakerClient(config.sagemaker),
  sfn: createSfnClient(config.sfn),
  ecr: createEcrClient(config.ecr),
  serviceQuotas: createServiceQuotasClient(config.serviceQuotas),
  eventBridge: createEventBridgeClient(config.eventBridge),
});

/** Closes every client's sockets (a long-lived process that is done with them; Lambda never needs it). */
export const destroyAwsClients = (clients: AwsClients): void => {
  const { s3, dynamo, textract, sagemaker, sfn, ecr, serviceQuotas, eventBridge } = clients;
  for (const client of [s3, dynamo, textract, sagemaker, sfn, ecr, serviceQuotas, eventBridge]) client.destroy();
};
