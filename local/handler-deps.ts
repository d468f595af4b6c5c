/**
 * What the local runtime builds every Lambda handler with: the local services' clients, the stage's
 * deployment settings and the local Logger/Metrics. Each handler factory (functions/<fn>/handler.ts,
 * `create<Fn>Handler`) takes the part it needs; test/unit/local/wiring.test.ts checks that each accepts this.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { TextractClient } from '@aws-sdk/client-textract';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../src/aws/clients';
import type { DeploymentSettings } from '../src/contracts/settings';
import type { Observability } from '../src/lambda/observability';

export interface LocalHandlerDeps extends Observability {
  s3: S3Client;
  textract: TextractClient;
  sagemaker: SageMakerClient;
  dynamo: DynamoDBDocumentClient;
  ecr: ECRClient;
  serviceQuotas: ServiceQuotasClient;
  eventBridge: EventBridgeClient;
  settings: () => DeploymentSettings;
  now: () => Date;
}

export const localHandlerDeps = (clients: AwsClients, settings: DeploymentSettings, observability: Observability): LocalHandlerDeps => ({
  s3: clients.s3,
  textract: clients.textract,
  sagemaker: clients.sagemaker,
  dynamo: clients.dynamo,
  ecr: clients.ecr,
  serviceQuotas: clients.serviceQuotas,
  eventBridge: clients.eventBridge,
  settings: () => settings,
  now: () => new Date(),
  ...observability,
});
