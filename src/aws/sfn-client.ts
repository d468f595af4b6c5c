import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';

export const createSfnClient = (config: SFNClientConfig = {}): SFNClient => new SFNClient(config);
