/** The ECR client (pre-flight: does the training image exist). */
import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';

export const createEcrClient = (config: ECRClientConfig = {}): ECRClient => new ECRClient(config);
