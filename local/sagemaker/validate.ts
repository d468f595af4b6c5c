/**
 * CreateTrainingJob request validation, following SageMaker's own constraints and messages
 * ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ..."), so a request the
 * local emulator accepts is one real SageMaker accepts too (for the features the emulator supports).
 * The constraints are a zod schema (the service model's lengths, ranges and patterns); what the local
 * emulator does not support is refused after it, in plain words. The helpers and the message are
 * shared with the other local services (local/http/aws-validation.ts).
 */
import { z } from 'zod';
import { parseS3Uri, type S3Location } from '../../src/aws/s3-objects';
import {
  NOT_NULL,
  awsRequestParser,
  enumMember,
  int,
  list,
  member,
  object,
  patternMessage,
  patterned,
  stringMap,
  typeError,
  validationError,
} from '../http/aws-validation';
import type { JsonObject } from '../http/json-protocol-server';
import { TRAINING_INSTANCE_TYPES } from './instance-types';

export interface MetricDefinition {
  Name: string;
  Regex: string;
}

export interface Channel {
  ChannelName: string;
  s3: S3Location;
  ContentType?: string;
}

export interface TrainingJobRequest {
  name: string;
  roleArn: string;
  hyperParameters: Record<string, string>;
  trainingImage: string;
  metricDefinitions: MetricDefinition[];
  channels: Channel[];
  output: S3Location;
  instanceType: string;
  instanceCount: number;
  maxRuntimeSeconds: number;
  spot: boolean;
  checkpoint?: S3Location;
  environment: Record<string, string>;
  /** The request as sent, with SageMaker's defaults filled in: echoed back by DescribeTrainingJob. */
  echo: JsonObject;
}

const ROLE_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const S3_URI_PATTERN = /^(https|s3):\/\/([^/]+)\/?(.*)$/;
const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;
const CHANNEL_PATTERN = /^[A-Za-z0-9.\-_]+$/;
const DEFAULT_MAX_RUNTIME = 86_400;

/** The map members of SageMaker requests whose keys are the caller's (kept as written in a member path). */
const MAP_MEMBERS = ['HyperParameters', 'Environment', 'CustomerMetadataProperties'];

/** Parses a SageMaker request with its schema, refusing it with SageMaker's own validation message. */
export const parseSageMakerRequest = awsRequestParser(MAP_MEMBERS);

const stringMapOf = (maxKey: number, maxValue: number, maxEntries?: number) =>
  stringMap(
    member(maxKey),
    z.string({ error: typeError('a string') }).max(maxValue, `Member must have length less than or equal to ${maxValue}`),
    maxEntries,
  );
/** SageMaker's EntityName pattern, as its model writes it (training job names, model package group names, ...). */
export const ENTITY_NAME = '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}';
export const entityName = patterned(63, 1, ENTITY_NAME);
/** The NameContains filter of SageMaker's List* operations. */
export const nameContains = patterned(63, 0, '[a-zA-Z0-9\\-]+');
/** The enums of ListTrainingJobs (botocore's TrainingJobStatus, SortBy, SortOrder; test/unit/local/sagemaker-model.test.ts checks them). */
export const TRAINING_JOB_STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped', 'Deleting'] as const;
export const TRAINING_JOB_SORT_BY = ['Name', 'CreationTime', 'Status'] as const;
export const SORT_ORDERS = ['Ascending', 'Descending'] as const;
/**
 * An instance type of another operation (the model registry's inference and transform types, enums of
 * their own with hundreds of values): checked for its shape (ml.<family>.<size>). A training job's is
 * checked against TrainingInstanceType itself (./instance-types.ts).
 */
export const mlInstanceType = member(64).regex(INSTANCE_TYPE_PATTERN, 'Member must be a valid ML instance type (ml.<family>.<size>)');
const s3UriMember = member(1024).regex(S3_URI_PATTERN, patternMessage(S3_URI_PATTERN));

const channelSchema = object({
  ChannelName: member(64).regex(CHANNEL_PATTERN, patternMessage(CHANNEL_PATTERN)),
  DataSource: object({ S3DataSource: object({ S3DataType: member(2048), S3Uri: s3UriMember }) }),
  ContentType: z.string().optional(),
});

/** The members of CreateTrainingJob the local SageMaker reads, with the service's constraints. */
const createTrainingJobSchema = object({
  TrainingJobName: entityName,
  AlgorithmSpecification: object({
    AlgorithmName: z.string().optional(),
    TrainingImage: member(255).optional(),
    TrainingInputMode: enumMember(['Pipe', 'File', 'FastFile']),
    MetricDefinitions: list(object({ Name: member(255), Regex: member(500) }), 40).default([]),
  }),
  RoleArn: member(2048).min(20, patternMessage(ROLE_PATTERN)).regex(ROLE_PATTERN, patternMessage(ROLE_PATTERN)),
  OutputDataConfig: object({ S3OutputPath: s3UriMember }),
  ResourceConfig: object({
    InstanceType: enumMember(TRAINING_INSTANCE_TYPES),
    InstanceCount: int(1, 1000).default(1),
    VolumeSizeInGB: int(1, 16_384),
  }),
  StoppingCondition: object({
    MaxRuntimeInSeconds: int(1, 2_419_200).default(DEFAULT_MAX_RUNTIME),
    MaxWaitTimeInSeconds: int(1, 3_628_800).optional(),
  }),
  EnableManagedSpotTraining: z.boolean({ error: typeError('a boolean') }).default(false),
  HyperParameters: stringMapOf(256, 2500, 100).default({}),
  Environment: stringMapOf(512, 512).default({}),
  InputDataConfig: list(channelSchema, 20).default([]),
  CheckpointConfig: object({ S3Uri: s3UriMember }).nullish(),
});

/** Only s3:// URIs are read by the local SageMaker; `s3://bucket` is the bucket's root. */
const s3Location = (uri: string, path: string): S3Location => {
  if (!uri.startsWith('s3://')) throw validationError(`${path}: only s3:// URIs are supported by the local SageMaker`);
  return parseS3Uri(uri);
};

/** SageMaker users often write Python regexes; JavaScript spells named groups `(?<name>` not `(?P<name>`. */
export const compileMetricRegex = (regex: string): RegExp => new RegExp(regex.replace(/\(\?P</g, '(?<'));

export const validateCreateTrainingJob = (input: JsonObject): TrainingJobRequest => {
  const request = parseSageMakerRequest(createTrainingJobSchema, input);
  const algorithm = request.AlgorithmSpecification;
  // What the local SageMaker does not do (valid requests for SageMaker, refused here).
  if (algorithm.AlgorithmName !== undefined)
    throw validationError('AlgorithmName is not supported by the local SageMaker: use TrainingImage');
  if (algorithm.TrainingImage === undefined)
    throw validationError(
      `1 validation error detected: Value null at 'algorithmSpecification.trainingImage' failed to satisfy constraint: ${NOT_NULL}`,
    );
  if (algorithm.TrainingInputMode === 'Pipe') throw validationError('TrainingInputMode Pipe is not supported by the local SageMaker');
  if (request.ResourceConfig.InstanceCount !== 1)
    throw validationError(
      `The local SageMaker runs one instance: InstanceCount must be 1, not ${request.ResourceConfig.InstanceCount} (setting instanceCount; several instances are rehearsed by training-image/tests/test_distributed.py, two trainer hosts on one machine)`,
    );
  for (const metric of algorithm.MetricDefinitions) {
    try {
      compileMetricRegex(metric.Regex);
    } catch {
      throw validationError(`Metric ${metric.Name}: Regex ${metric.Regex} is not a valid regular expression`);
    }
  }
  const { MaxRuntimeInSeconds: maxRuntimeSeconds, MaxWaitTimeInSeconds: maxWait } = request.StoppingCondition;
  const spot = request.EnableManagedSpotTraining;
  if (spot && (maxWait === undefined || maxWait < maxRuntimeSeconds)) {
    throw validationError('Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds');
  }
  if (!spot && maxWait !== undefined) throw validationError('MaxWaitTimeInSeconds is only valid with EnableManagedSpotTraining');

  const seen = new Set<string>();
  const channels = request.InputDataConfig.map((channel, i): Channel => {
    if (seen.has(channel.ChannelName)) throw validationError(`Channel names must be unique: ${channel.ChannelName}`);
    seen.add(channel.ChannelName);
    const source = channel.DataSource.S3DataSource;
    if (source.S3DataType !== 'S3Prefix')
      throw validationError(`S3DataType ${source.S3DataType} is not supported by the local SageMaker: use S3Prefix`);
    return {
      ChannelName: channel.ChannelName,
      s3: s3Location(source.S3Uri, `inputDataConfig.${i + 1}.member.dataSource.s3DataSource.s3Uri`),
      ...(channel.ContentType === undefined ? {} : { ContentType: channel.ContentType }),
    };
  });
  const checkpoint =
    request.CheckpointConfig === undefined || request.CheckpointConfig === null
      ? undefined
      : s3Location(request.CheckpointConfig.S3Uri, 'checkpointConfig.s3Uri');
  const metricDefinitions = algorithm.MetricDefinitions.map(({ Name, Regex }) => ({ Name, Regex }));

  const echo: JsonObject = {
    ...input,
    AlgorithmSpecification: {
      ...algorithm,
      MetricDefinitions: metricDefinitions,
      EnableSageMakerMetricsTimeSeries: algorithm['EnableSageMakerMetricsTimeSeries'] ?? false,
    },
    // The parsed members carry SageMaker's defaults (InstanceCount, MaxRuntimeInSeconds).
    ResourceConfig: request.ResourceConfig,
    StoppingCondition: request.StoppingCondition,
    HyperParameters: request.HyperParameters,
    EnableManagedSpotTraining: spot,
    EnableNetworkIsolation: input['EnableNetworkIsolation'] ?? false,
    EnableInterContainerTrafficEncryption: input['EnableInterContainerTrafficEncryption'] ?? false,
  };
  delete echo['Tags'];
  delete echo['TrainingJobName'];

  return {
    name: request.TrainingJobName,
    roleArn: request.RoleArn,
    hyperParameters: request.HyperParameters,
    trainingImage: algorithm.TrainingImage,
    metricDefinitions,
    channels,
    output: s3Location(request.OutputDataConfig.S3OutputPath, 'outputDataConfig.s3OutputPath'),
    instanceType: request.ResourceConfig.InstanceType,
    instanceCount: request.ResourceConfig.InstanceCount,
    maxRuntimeSeconds,
    spot,
    ...(checkpoint === undefined ? {} : { checkpoint }),
    environment: request.Environment,
    echo,
  };
};
