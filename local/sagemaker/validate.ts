/**
 * CreateTrainingJob request validation, following SageMaker's own constraints and messages
 * ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ..."), so a request the
 * local emulator accepts is one real SageMaker accepts too (for the features the emulator supports).
 * The constraints are a zod schema (the service model's lengths, ranges and patterns); what the local
 * emulator does not support is refused after it, in plain words.
 */
import { z } from 'zod';
import { parseS3Uri, type S3Location } from '../../src/aws/s3-objects';
import { JsonProtocolError, type JsonObject } from '../http/json-protocol-server';

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

const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ROLE_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const S3_URI_PATTERN = /^(https|s3):\/\/([^/]+)\/?(.*)$/;
const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;
const CHANNEL_PATTERN = /^[A-Za-z0-9.\-_]+$/;
const DEFAULT_MAX_RUNTIME = 86_400;

export const validationError = (message: string): JsonProtocolError => new JsonProtocolError('ValidationException', message);

const NOT_NULL = 'Member must not be null';
const pattern = (regex: RegExp): string => `Member must satisfy regular expression pattern: ${regex.source}`;
/** Absent: "must not be null"; another type: "must be <what>". */
const typeError = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? NOT_NULL : `Member must be ${what}`;

const member = (max: number, min = 1) => {
  const length = `Member must have length between ${min} and ${max}`;
  return z
    .string({ error: typeError('a string') })
    .min(min, length)
    .max(max, length);
};
const int = (min: number, max: number) => {
  const range = `Member must have value between ${min} and ${max}`;
  return z
    .number({ error: typeError('a number') })
    .int(range)
    .min(min, range)
    .max(max, range);
};
const object = <S extends z.core.$ZodLooseShape>(shape: S) => z.looseObject(shape, { error: typeError('a structure') });
const stringMap = (maxKey: number, maxValue: number) =>
  z.record(
    z.string().min(1, `Map key must have length between 1 and ${maxKey}`).max(maxKey, `Map key must have length between 1 and ${maxKey}`),
    z.string({ error: typeError('a string') }).max(maxValue, `Member must have length less than or equal to ${maxValue}`),
    { error: typeError('a map of string to string') },
  );
const s3UriMember = member(1024).regex(S3_URI_PATTERN, pattern(S3_URI_PATTERN));

const channelSchema = object({
  ChannelName: member(64).regex(CHANNEL_PATTERN, pattern(CHANNEL_PATTERN)),
  DataSource: object({ S3DataSource: object({ S3DataType: member(2048), S3Uri: s3UriMember }) }),
  ContentType: z.string().optional(),
});

/** The members of CreateTrainingJob the local SageMaker reads, with the service's constraints. */
const createTrainingJobSchema = object({
  TrainingJobName: member(63).regex(NAME_PATTERN, pattern(NAME_PATTERN)),
  AlgorithmSpecification: object({
    AlgorithmName: z.string().optional(),
    TrainingImage: member(255).optional(),
    TrainingInputMode: z.enum(['Pipe', 'File', 'FastFile'], { error: 'Member must satisfy enum value set: [Pipe, File, FastFile]' }),
    MetricDefinitions: z
      .array(object({ Name: member(255), Regex: member(500) }), { error: typeError('a list') })
      .max(40, 'Member must have length less than or equal to 40')
      .default([]),
  }),
  RoleArn: member(2048).min(20, pattern(ROLE_PATTERN)).regex(ROLE_PATTERN, pattern(ROLE_PATTERN)),
  OutputDataConfig: object({ S3OutputPath: s3UriMember }),
  ResourceConfig: object({
    InstanceType: member(64).regex(INSTANCE_TYPE_PATTERN, 'Member must be a valid ML instance type (ml.<family>.<size>)'),
    InstanceCount: int(1, 1000).default(1),
    VolumeSizeInGB: int(1, 16_384),
  }),
  StoppingCondition: object({
    MaxRuntimeInSeconds: int(1, 2_419_200).default(DEFAULT_MAX_RUNTIME),
    MaxWaitTimeInSeconds: int(1, 3_628_800).optional(),
  }),
  EnableManagedSpotTraining: z.boolean({ error: typeError('a boolean') }).default(false),
  HyperParameters: stringMap(256, 2500)
    .refine((map) => Object.keys(map).length <= 100, 'Member must have length less than or equal to 100')
    .default({}),
  Environment: stringMap(512, 512).default({}),
  InputDataConfig: z
    .array(channelSchema, { error: typeError('a list') })
    .max(20, 'Member must have length between 1 and 20')
    .default([]),
  CheckpointConfig: object({ S3Uri: s3UriMember }).nullish(),
});

/** The maps whose keys are the user's (not member names): kept as written in a member path. */
const MAP_MEMBERS = new Set(['HyperParameters', 'Environment']);

/** SageMaker's member path: lowerCamelCase names, list items as `<n>.member` counted from 1. */
const memberPath = (path: readonly PropertyKey[]): string =>
  path
    .map((segment, index) => {
      if (typeof segment === 'number') return `${segment + 1}.member`;
      const name = String(segment);
      return MAP_MEMBERS.has(String(path[index - 1])) ? name : `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
    })
    .join('.');

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );

/** Only s3:// URIs are read by the local SageMaker; `s3://bucket` is the bucket's root. */
const s3Location = (uri: string, path: string): S3Location => {
  if (!uri.startsWith('s3://')) throw validationError(`${path}: only s3:// URIs are supported by the local SageMaker`);
  return parseS3Uri(uri);
};

/** SageMaker users often write Python regexes; JavaScript spells named groups `(?<name>` not `(?P<name>`. */
export const compileMetricRegex = (regex: string): RegExp => new RegExp(regex.replace(/\(\?P</g, '(?<'));

export const validateCreateTrainingJob = (input: JsonObject): TrainingJobRequest => {
  const parsed = createTrainingJobSchema.safeParse(input);
  if (!parsed.success) {
    // SageMaker reports the first constraint a request breaks.
    const [issue] = parsed.error.issues;
    const path = issue?.path ?? [];
    const value = valueAt(input, path);
    const shown = typeof value === 'string' ? `'${value}' ` : value === undefined ? 'null ' : '';
    throw validationError(
      `1 validation error detected: Value ${shown}at '${memberPath(path)}' failed to satisfy constraint: ${issue?.message ?? NOT_NULL}`,
    );
  }
  const request = parsed.data;
  const algorithm = request.AlgorithmSpecification;
  // What the local SageMaker does not do (valid requests for SageMaker, refused here).
  if (algorithm.AlgorithmName !== undefined)
    throw validationError('AlgorithmName is not supported by the local SageMaker: use TrainingImage');
  if (algorithm.TrainingImage === undefined)
    throw validationError(
      `1 validation error detected: Value null at 'algorithmSpecification.trainingImage' failed to satisfy constraint: ${NOT_NULL}`,
    );
  if (algorithm.TrainingInputMode === 'Pipe') throw validationError('TrainingInputMode Pipe is not supported by the local SageMaker');
  if (request.ResourceConfig.InstanceCount !== 1) throw validationError('The local SageMaker runs one instance: InstanceCount must be 1');
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
