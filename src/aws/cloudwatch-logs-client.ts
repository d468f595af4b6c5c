import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';

export const createCloudWatchLogsClient = (config: CloudWatchLogsClientConfig = {}): CloudWatchLogsClient =>
  new CloudWatchLogsClient(config);
