/** The ECR client (pre-flight: does the training image exist), built once per process. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { memo } from './memo';

export const ecrClient = memo(() => new ECRClient({}));
