import { SageMakerClient, type SageMakerClientConfig } from '@aws-sdk/client-sagemaker';

export const createSageMakerClient = (config: SageMakerClientConfig = {}): SageMakerClient => new SageMakerClient(config);
