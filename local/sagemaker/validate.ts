/**
 * CreateTrainingJob request validation, following SageMaker's own constraints and messages
 * ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ..."), so a request the
 * local emulator accepts is one real SageMaker accepts too (for the features the emulator supports).
 */
import { JsonProtocolError, type JsonObject } from '../http/json-protocol-server';

export interface S3Location {
  bucket: string;
  key: string;
}

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

export const validationError = (message: string): JsonProtocolError =>
  new JsonProtocolError('ValidationException', message);

const constraint = (value: unknown, member: string, rule: string): never => {
  const shown = typeof value === 'string' ? `'${value}' ` : value === undefined ? 'null ' : '';
  throw validationError(
    `1 validation error detected: Value ${shown}at '${member}' failed to satisfy constraint: ${rule}`,
  );
};

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const requireObject = (value: unknown, member: string): JsonObject =>
  isObject(value) ? value : constraint(value, member, 'Member must not be null');

const requireString = (value: unknown, member: string, max = 2048): string => {
  if (value === undefined || value === null) return constraint(value, member, 'Member must not be null');
  if (typeof value !== 'string') return constraint(value, member, 'Member must be a string');
  if (value.length === 0 || value.length > max) {
    return constraint(value, member, `Member must have length between 1 and ${max}`);
  }
  return value;
};

const optionalInt = (value: unknown, member: string, min: number, max: number): number | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return constraint(value, member, `Member must have value between ${min} and ${max}`);
  }
  return value;
};

const stringMap = (value: unknown, member: string, maxKey: number, maxValue: number): Record<string, string> => {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return constraint(value, member, 'Member must be a map of string to string');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.length === 0 || k.length > maxKey) {
      return constraint(k, `${member}.${k}`, `Map key must have length between 1 and ${maxKey}`);
    }
    if (typeof v !== 'string') return constraint(v, `${member}.${k}`, 'Member must be a string');
    if (v.length > maxValue) return constraint(v, `${member}.${k}`, `Member must have length less than or equal to ${maxValue}`);
    out[k] = v;
  }
  return out;
};

export const parseS3Uri = (value: string, member: string): S3Location => {
  const match = S3_URI_PATTERN.exec(value);
  if (match === null) return constraint(value, member, `Member must satisfy regular expression pattern: ${S3_URI_PATTERN.source}`);
  if (match[1] !== 's3') throw validationError(`${member}: only s3:// URIs are supported by the local SageMaker`);
  return { bucket: match[2] ?? '', key: match[3] ?? '' };
};

/** SageMaker users often write Python regexes; JavaScript spells named groups `(?<name>` not `(?P<name>`. */
export const compileMetricRegex = (regex: string): RegExp => new RegExp(regex.replace(/\(\?P</g, '(?<'));

export const validateCreateTrainingJob = (input: JsonObject): TrainingJobRequest => {
  const name = requireString(input['TrainingJobName'], 'trainingJobName', 63);
  if (!NAME_PATTERN.test(name)) {
    constraint(name, 'trainingJobName', `Member must satisfy regular expression pattern: ${NAME_PATTERN.source}`);
  }

  const algorithm = requireObject(input['AlgorithmSpecification'], 'algorithmSpecification');
  if (algorithm['AlgorithmName'] !== undefined) {
    throw validationError('AlgorithmName is not supported by the local SageMaker: use TrainingImage');
  }
  const trainingImage = requireString(algorithm['TrainingImage'], 'algorithmSpecification.trainingImage', 255);
  const inputMode = requireString(algorithm['TrainingInputMode'], 'algorithmSpecification.trainingInputMode');
  if (!['File', 'FastFile', 'Pipe'].includes(inputMode)) {
    constraint(inputMode, 'algorithmSpecification.trainingInputMode', 'Member must satisfy enum value set: [Pipe, File, FastFile]');
  }
  if (inputMode === 'Pipe') throw validationError('TrainingInputMode Pipe is not supported by the local SageMaker');
  const rawMetrics = algorithm['MetricDefinitions'] ?? [];
  if (!Array.isArray(rawMetrics) || rawMetrics.length > 40) {
    constraint(rawMetrics, 'algorithmSpecification.metricDefinitions', 'Member must have length less than or equal to 40');
  }
  const metricDefinitions = (rawMetrics as unknown[]).map((m, i): MetricDefinition => {
    const member = `algorithmSpecification.metricDefinitions.${i + 1}`;
    const def = requireObject(m, member);
    const metric = { Name: requireString(def['Name'], `${member}.name`, 255), Regex: requireString(def['Regex'], `${member}.regex`, 500) };
    try {
      compileMetricRegex(metric.Regex);
    } catch {
      throw validationError(`Metric ${metric.Name}: Regex ${metric.Regex} is not a valid regular expression`);
    }
    return metric;
  });

  const roleArn = requireString(input['RoleArn'], 'roleArn', 2048);
  if (roleArn.length < 20 || !ROLE_PATTERN.test(roleArn)) {
    constraint(roleArn, 'roleArn', `Member must satisfy regular expression pattern: ${ROLE_PATTERN.source}`);
  }

  const outputConfig = requireObject(input['OutputDataConfig'], 'outputDataConfig');
  const output = parseS3Uri(requireString(outputConfig['S3OutputPath'], 'outputDataConfig.s3OutputPath', 1024), 'outputDataConfig.s3OutputPath');

  const resource = requireObject(input['ResourceConfig'], 'resourceConfig');
  const instanceType = requireString(resource['InstanceType'], 'resourceConfig.instanceType', 64);
  if (!INSTANCE_TYPE_PATTERN.test(instanceType)) {
    constraint(instanceType, 'resourceConfig.instanceType', 'Member must be a valid ML instance type (ml.<family>.<size>)');
  }
  const instanceCount = optionalInt(resource['InstanceCount'], 'resourceConfig.instanceCount', 1, 1000) ?? 1;
  if (instanceCount !== 1) throw validationError('The local SageMaker runs one instance: InstanceCount must be 1');
  if (optionalInt(resource['VolumeSizeInGB'], 'resourceConfig.volumeSizeInGB', 1, 16_384) === undefined) {
    constraint(undefined, 'resourceConfig.volumeSizeInGB', 'Member must not be null');
  }

  const stopping = requireObject(input['StoppingCondition'], 'stoppingCondition');
  const maxRuntimeSeconds =
    optionalInt(stopping['MaxRuntimeInSeconds'], 'stoppingCondition.maxRuntimeInSeconds', 1, 2_419_200) ?? DEFAULT_MAX_RUNTIME;
  const maxWait = optionalInt(stopping['MaxWaitTimeInSeconds'], 'stoppingCondition.maxWaitTimeInSeconds', 1, 3_628_800);

  const spotValue = input['EnableManagedSpotTraining'] ?? false;
  if (typeof spotValue !== 'boolean') constraint(spotValue, 'enableManagedSpotTraining', 'Member must be a boolean');
  const spot = spotValue === true;
  if (spot && (maxWait === undefined || maxWait < maxRuntimeSeconds)) {
    throw validationError(
      'Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds',
    );
  }
  if (!spot && maxWait !== undefined) {
    throw validationError('MaxWaitTimeInSeconds is only valid with EnableManagedSpotTraining');
  }

  const hyperParameters = stringMap(input['HyperParameters'], 'hyperParameters', 256, 2500);
  if (Object.keys(hyperParameters).length > 100) {
    constraint(undefined, 'hyperParameters', 'Member must have length less than or equal to 100');
  }
  const environment = stringMap(input['Environment'], 'environment', 512, 512);

  const rawChannels = input['InputDataConfig'] ?? [];
  if (!Array.isArray(rawChannels) || rawChannels.length > 20) {
    constraint(rawChannels, 'inputDataConfig', 'Member must have length between 1 and 20');
  }
  const seen = new Set<string>();
  const channels = (rawChannels as unknown[]).map((c, i): Channel => {
    const member = `inputDataConfig.${i + 1}.member`;
    const channel = requireObject(c, member);
    const channelName = requireString(channel['ChannelName'], `${member}.channelName`, 64);
    if (!CHANNEL_PATTERN.test(channelName)) {
      constraint(channelName, `${member}.channelName`, `Member must satisfy regular expression pattern: ${CHANNEL_PATTERN.source}`);
    }
    if (seen.has(channelName)) throw validationError(`Channel names must be unique: ${channelName}`);
    seen.add(channelName);
    const source = requireObject(requireObject(channel['DataSource'], `${member}.dataSource`)['S3DataSource'], `${member}.dataSource.s3DataSource`);
    const dataType = requireString(source['S3DataType'], `${member}.dataSource.s3DataSource.s3DataType`);
    if (dataType !== 'S3Prefix') throw validationError(`S3DataType ${dataType} is not supported by the local SageMaker: use S3Prefix`);
    const uri = requireString(source['S3Uri'], `${member}.dataSource.s3DataSource.s3Uri`, 1024);
    const contentType = channel['ContentType'];
    return {
      ChannelName: channelName,
      s3: parseS3Uri(uri, `${member}.dataSource.s3DataSource.s3Uri`),
      ...(typeof contentType === 'string' ? { ContentType: contentType } : {}),
    };
  });

  const checkpointConfig = input['CheckpointConfig'];
  let checkpoint: S3Location | undefined;
  if (checkpointConfig !== undefined && checkpointConfig !== null) {
    const cfg = requireObject(checkpointConfig, 'checkpointConfig');
    checkpoint = parseS3Uri(requireString(cfg['S3Uri'], 'checkpointConfig.s3Uri', 1024), 'checkpointConfig.s3Uri');
  }

  const echo: JsonObject = {
    ...input,
    AlgorithmSpecification: { ...algorithm, MetricDefinitions: metricDefinitions, EnableSageMakerMetricsTimeSeries: algorithm['EnableSageMakerMetricsTimeSeries'] ?? false },
    ResourceConfig: { ...resource, InstanceCount: instanceCount },
    StoppingCondition: { ...stopping, MaxRuntimeInSeconds: maxRuntimeSeconds },
    HyperParameters: hyperParameters,
    EnableManagedSpotTraining: spot,
    EnableNetworkIsolation: input['EnableNetworkIsolation'] ?? false,
    EnableInterContainerTrafficEncryption: input['EnableInterContainerTrafficEncryption'] ?? false,
  };
  delete echo['Tags'];
  delete echo['TrainingJobName'];

  return {
    name,
    hyperParameters,
    trainingImage,
    metricDefinitions,
    channels,
    output,
    instanceType,
    instanceCount,
    maxRuntimeSeconds,
    spot,
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    environment,
    echo,
  };
};
