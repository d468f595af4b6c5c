import { SFNClient } from '@aws-sdk/client-sfn';
import { memo } from './memo';

export const sfnClient = memo(() => new SFNClient({}));
