import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { memo } from './memo';

export const sageMakerClient = memo(() => new SageMakerClient({}));
