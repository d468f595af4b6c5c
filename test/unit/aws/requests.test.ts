/**
 * The SageMaker and Textract requests the pipeline builds, validated against the real service models with
 * botocore's own ParamValidator plus the model's max/pattern/enum constraints
 * (scripts/validate_aws_requests.py, in the project venv), for the default settings and for the most
 * extreme input ValidateInput accepts: what passes ValidateInput must pass SageMaker and Textract, or a run
 * would pay for OCR and then fail.
 *
 * The SageMaker requests are built in the ASL (Parameters with JSONPath): each Task state that calls
 * SageMaker is run alone by aws-local-stepfunctions on the state input the pipeline gives it, and the
 * request it renders is captured. The Textract requests are built in src/textract/api.ts and
 * captured from a mocked client.
 */
import '../../../local/promise-with-resolvers';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  StartDocumentTextDetectionCommand,
  TextractClient,
} from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServerlessProject } from '../../../local/serverless-project';
import { walkStates } from '../../../local/stepfunctions';
import { readDeploymentSettings, resolveRunConfig } from '../../../src/steps/validate-input/step';
import { G5_INSTANCE_TYPES } from '../../../src/contracts/settings';
import { datasetPrefix } from '../../../src/contracts/s3-layout';
import type { RunConfig } from '../../../src/contracts/run-config';
import type { DatasetPointers } from '../../../src/steps/build-dataset/schema';
import { SAGEMAKER_HYPERPARAMETER_LIMITS } from '../../../src/contracts/hyperparameters';
import { TEXTRACT_LIMITS } from '../../../src/documents/textract-limits';
import { textractJobToken } from '../../../src/steps/ocr-batch/step';
import { MAX_BLOCKS_PER_RESPONSE, detectWords, getTextDetection, startTextDetection } from '../../../src/textract/api';
import { trainingChannels } from '../../../src/steps/build-dataset/training-channels';
import { jobHyperparameters } from '../../../src/contracts/training-config';
import { bioLabels } from '../../../src/dataset/build';
import { METRIC_DEFINITION_LIMITS, metricDefinitionsForLabels } from '../../../src/contracts/metric-line';
import { TextractLimiter } from '../../../src/textract/throughput';
import { TRAINER_HYPERPARAMETERS } from '../../../src/contracts/hyperparameters';
import { staticHyperparameters, TUNING_LIMITS } from '../../../src/contracts/tuning';
import { toJson, validate, type ApiRequest, type Json } from './botocore-validator';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// ---------- the ASL's SageMaker requests ----------

type StateNode = Record<string, unknown>;
const definition = loadServerlessProject(ROOT).stateMachines['trainPipeline'] as StateNode;

const SAGEMAKER_TASK = /^arn:aws:states:::(?:aws-sdk:)?sagemaker:([a-zA-Z]+)$/;
/** Every Task state that calls SageMaker, with the API operation it calls. */
const sageMakerTasks = [...walkStates(definition)].flatMap(([name, state]) => {
  const action =
    state['Type'] === 'Task' && typeof state['Resource'] === 'string' ? SAGEMAKER_TASK.exec(state['Resource'])?.[1] : undefined;
  return action === undefined ? [] : [{ name, state, operation: `${action.charAt(0).toUpperCase()}${action.slice(1)}` }];
});

/** The request a Task state sends for this state input: the state run alone, its Parameters as Step Functions renders them. */
const renderRequest = async (name: string, state: StateNode, input: Json, executionName: string): Promise<Json> => {
  const { Next: _next, Retry: _retry, Catch: _catch, ResultPath: _rp, ResultSelector: _rs, OutputPath: _op, ...task } = state;
  const single = { StartAt: name, States: { [name]: { ...task, End: true } } } as unknown as StateMachineDefinition;
  let rendered: Json | undefined;
  const execution = new StateMachine(single, { validationOptions: { checkArn: false } }).run(input, {
    overrides: {
      taskResourceLocalHandlers: {
        [name]: (parameters: Json) => {
          rendered = parameters;
          return Promise.resolve({});
        },
      },
    },
    context: {
      Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:doctrain:${executionName}`, Name: executionName, Input: input },
    },
  });
  await execution.result;
  if (rendered === undefined) throw new Error(`state ${name} rendered no request`);
  return rendered;
};

/** The deployed functions' environment, as serverless.yml sets it for a stack in us-east-1. */
const STACK_ENV = {
  AWS_REGION: 'us-east-1',
  DOCTRAIN_BUCKET: 'doctrain-dev-documentsbucket-1x2y3z4w5v6u',
  DOCTRAIN_TABLE: 'doctrain-dev-RunsTable-ABCDEF123456',
  DOCTRAIN_TRAINING_IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer:latest',
  DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/doctrain-dev-SageMakerExecutionRole-1A2B3C4D5E6F',
  DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
};

const SROIE_FIELDS = ['company', 'address', 'date', 'total'];
/**
 * 30 fields, the first at the longest a field may be for its `champion_val_exact_<field>` Name (255), the
 * second one character longer: SageMaker's 40 definitions, the longest Name and Regex there can be.
 */
const LONGEST_FIELD = 'f'.repeat(METRIC_DEFINITION_LIMITS.maxNameLength - 'champion_val_exact_'.length);
const MANY_FIELDS = [LONGEST_FIELD, `${LONGEST_FIELD}g`, ...Array.from({ length: 28 }, (_, i) => `field_${i}`)];

/** What BuildDataset returns for this run (its inputDataConfig and metric definitions from the same functions it uses). */
const datasetFor = (config: RunConfig, pageImages: boolean, fields: readonly string[]): DatasetPointers => {
  const fingerprint = 'f'.repeat(64);
  const prefix = `s3://${config.bucket}/${datasetPrefix(fingerprint)}`;
  const sources = {
    trainS3Uri: `${prefix}train-`,
    validationS3Uri: `${prefix}validation-`,
    labelsS3Uri: `${prefix}labels.json`,
    imagesS3Uri: pageImages ? `${prefix}images/` : null,
  };
  return {
    fingerprint,
    prefix,
    ...sources,
    manifestS3Uri: `${prefix}manifest.json`,
    runManifestS3Uri: `s3://${config.bucket}/${config.runPrefix}dataset-manifest.json`,
    // The lineage's champion as a channel, at the longest artifact URI of the longest bucket, model name and run id.
    inputDataConfig: trainingChannels({
      ...sources,
      modelS3Uri: config.training.modelChannelUri,
      championS3Uri: `s3://${config.bucket}/${config.training.outputS3Uri.replace(/^s3:\/\/[^/]+\//, '')}${config.training.jobName.replace(/a1$/, 'a99')}/output/model.tar.gz`,
    }),
    counts: { documents: 1000, train: 800, validation: 200, quarantined: 0 },
    textractPagesBilled: 1000,
    ...metricDefinitionsForLabels(bioLabels(fields)),
  };
};

/** The execution state when the training states run: ValidateInput's config, PlanBatches' plan, BuildDataset's pointers. */
const trainingState = (
  env: Record<string, string>,
  input: Json,
  executionName: string,
  fields: readonly string[] = SROIE_FIELDS,
): { state: Json; config: RunConfig } => {
  const config = resolveRunConfig(readDeploymentSettings({ ...STACK_ENV, ...env }), input, executionName);
  const plan = { documentCount: 1000, quarantinedCount: 0, batchCount: 100 };
  // Preflight resolves the image to `repository@sha256:<digest>`: the reference CreateTrainingJob runs.
  const digest = `sha256:${'d'.repeat(64)}`;
  const repository = config.training.image.replace(/:[^:/]+$/, '');
  const preflight = { image: `${repository}@${digest}`, imageDigest: digest, plan: config.training.plan, quotas: [], warnings: [] };
  // CheckFingerprint's decision: the job's hyperparameters are its (warm start adds two).
  const warmStart = config.training.warmStart === 'champion';
  const retrain = {
    fingerprint: 'e'.repeat(64),
    summary: { decision: 'train', reason: 'changed', matchedRunId: null, championRunId: 'r1', warmStart },
    champion: { runId: 'r1', modelArtifactUri: 's3://b/m.tar.gz' },
    lineageVersion: 1,
    hyperparameters: jobHyperparameters(config.training.hyperparameters, warmStart, config.training.warmStartEpochs),
    listedObjects: 2000,
  };
  // PrepareTuning's output and a poll's (only the tuning states read them).
  const tuning = {
    staticHyperParameters: staticHyperparameters(retrain.hyperparameters, config.tuning?.tunedKeys ?? []),
    poll: {
      status: 'InProgress',
      pollCount: 1,
      waitSeconds: 60,
      startedAt: '2026-12-07T00:00:00.000Z',
      bestTrainingJobName: null,
      failureReason: null,
      stopRequested: false,
    },
  };
  return {
    state: toJson({ config, plan, preflight, retrain, dataset: datasetFor(config, config.dataset.pageImages, fields), tuning }),
    config,
  };
};

/** The SageMaker tasks of the tuning states: they run (and are rendered) only for a run with `tuning`. */
const TUNING_OPERATIONS = new Set(['CreateHyperParameterTuningJob', 'StopHyperParameterTuningJob']);
const tasksFor = (config: RunConfig): typeof sageMakerTasks =>
  sageMakerTasks.filter((task) => config.tuning !== null || !TUNING_OPERATIONS.has(task.operation));

/**
 * The widest `tuning` block ValidateInput accepts: every trainer hyperparameter with bounds over its whole
 * range (the enums' every value), SageMaker's largest limits, the longest objective metric name there is.
 */
const widestTuning = (objectiveMetric: string): Json => {
  const ranges = Object.fromEntries(
    Object.entries(TRAINER_HYPERPARAMETERS).flatMap(([key, property]): [string, Json][] => {
      if (property.type === 'string') return property.enum ? [[key, { values: property.enum }]] : [];
      const max =
        property.maximum ?? (property.type === 'number' && property.exclusiveMaximum !== undefined ? property.exclusiveMaximum / 2 : 1e6);
      return [[key, { min: property.minimum, max, scaling: 'Linear' }]];
    }),
  );
  return {
    strategy: 'Bayesian',
    maxJobs: TUNING_LIMITS.maxJobs,
    maxParallelJobs: TUNING_LIMITS.maxParallelJobs,
    seed: 2 ** 31 - 1,
    objective: { metric: objectiveMetric, type: 'Maximize' },
    ranges,
  };
};

/** A string of `length` characters the schemas accept. */
const longName = (length: number, start = 'r'): string => (start + 'a0-'.repeat(length)).slice(0, length - 1) + '9';

/** The longest s3:// URI ValidateInput accepts for the model channel: a 63-character bucket, 1,024 characters in all. */
const LONGEST_MODEL_URI = `s3://${'b'.repeat(63)}/${'pretrained/'.repeat(100)}`.slice(0, 1024 - '.tar.gz'.length) + '.tar.gz';

/** The largest execution input ValidateInput accepts: longest names, every channel, SageMaker's hyperparameter maxima. */
const extremeInput = (instanceType: string): Json => {
  const { maxEntries, maxKeyLength, maxValueLength } = SAGEMAKER_HYPERPARAMETER_LIMITS;
  // Keys the trainer ignores (^sagemaker_) take any value: 100 keys of 256 characters, values of 2,500.
  const hyperparameters = Object.fromEntries(
    Array.from({ length: maxEntries }, (_, i) => [
      `sagemaker_${String(i).padStart(3, '0')}_`.padEnd(maxKeyLength, 'x'),
      'v'.repeat(maxValueLength),
    ]),
  );
  return {
    runId: longName(48),
    modelName: longName(32, 'm'),
    trigger: 'schedule',
    dataset: { pageImages: true, batchSize: 100, validationFraction: 0.5, maxQuarantineShare: 1 },
    training: {
      instanceType,
      spot: true,
      maxRuntimeSeconds: 28 * 24 * 3600,
      maxWaitSeconds: 28 * 24 * 3600,
      volumeSizeGb: 512,
      hyperparameters,
      modelChannelUri: LONGEST_MODEL_URI,
    },
    pollSeconds: 3600,
  };
};

/** Step Functions execution names: at most 80 characters. */
const LONGEST_EXECUTION_NAME = `Weekly_Retrain.${'x'.repeat(80)}`.slice(0, 80);

const EXTREME_ENV = {
  // S3 bucket names: at most 63 characters; ECR tags: at most 128.
  DOCTRAIN_BUCKET: `doctrain-${'p'.repeat(54)}`,
  DOCTRAIN_TRAINING_IMAGE: `123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/doctrain-production-trainer:${'t'.repeat(128)}`,
  DOCTRAIN_SAGEMAKER_ROLE_ARN: `arn:aws:iam::123456789012:role/${'doctrain-prod-SageMakerExecutionRole'.padEnd(64, 'Z')}`,
  DOCTRAIN_SPOT: 'false',
};

describe('SageMaker requests rendered from the ASL', () => {
  it('finds the SageMaker tasks the pipeline needs', () => {
    expect(new Set(sageMakerTasks.map((t) => t.operation))).toEqual(
      new Set([
        'CreateTrainingJob',
        'DescribeTrainingJob',
        'StopTrainingJob',
        'CreateHyperParameterTuningJob',
        'StopHyperParameterTuningJob',
      ]),
    );
  });

  const cases: { label: string; env: Record<string, string>; input: Json; executionName: string; fields?: string[] }[] = [
    { label: 'defaults', env: {}, input: {}, executionName: '6f1c2e0a-3b5d-4c7e-9f8a-1b2c3d4e5f60' },
    {
      label: 'on-demand, no channels but the required ones',
      env: { DOCTRAIN_SPOT: 'false' },
      input: { training: { spot: false } },
      executionName: 'manual-1',
    },
    ...G5_INSTANCE_TYPES.map((instanceType) => ({
      label: `extreme input on ${instanceType}`,
      env: EXTREME_ENV,
      input: extremeInput(instanceType),
      executionName: LONGEST_EXECUTION_NAME,
      fields: MANY_FIELDS,
    })),
    // Data-parallel over 2 instances of 4 GPUs each (InstanceCount and the trainer's processes per instance).
    {
      label: 'two ml.g5.12xlarge instances',
      env: { DOCTRAIN_INSTANCE_COUNT: '2' },
      input: { training: { instanceType: 'ml.g5.12xlarge' } },
      executionName: 'multi-instance',
    },
    // No runId in the input: the run id comes from the longest execution name.
    { label: 'run id from the longest execution name', env: EXTREME_ENV, input: {}, executionName: LONGEST_EXECUTION_NAME },
    {
      label: 'tuning with the defaults',
      env: {},
      input: { tuning: { ranges: { learning_rate: { min: 0.0001, max: 0.01, scaling: 'Logarithmic' } } } },
      executionName: 'tune-1',
    },
    {
      label: 'tuning every hyperparameter, the longest names, on-demand',
      env: EXTREME_ENV,
      input: { runId: longName(48), modelName: longName(32, 'm'), tuning: widestTuning(`val_exact_${LONGEST_FIELD}`) },
      executionName: LONGEST_EXECUTION_NAME,
      fields: MANY_FIELDS,
    },
    {
      label: 'tuning on spot with every channel',
      env: EXTREME_ENV,
      input: {
        ...(extremeInput('ml.g5.48xlarge') as object),
        training: { ...(extremeInput('ml.g5.48xlarge') as { training: object }).training, hyperparameters: { epochs: 3 } },
        tuning: { strategy: 'Hyperband', ranges: { dropout: { min: 0, max: 0.5 } } },
      },
      executionName: LONGEST_EXECUTION_NAME,
    },
  ];

  let verdicts: Record<string, string[]>;
  const rendered: Record<string, Json> = {};
  const expected: Record<string, number> = {};
  beforeAll(async () => {
    const requests: ApiRequest[] = [];
    for (const c of cases) {
      const { state, config } = trainingState(c.env, c.input, c.executionName, c.fields);
      expected[c.label] = tasksFor(config).length;
      for (const task of tasksFor(config)) {
        const label = `${task.operation} (${task.name}), ${c.label}`;
        rendered[label] = await renderRequest(task.name, task.state, state, c.executionName);
        requests.push({ label, service: 'sagemaker', operation: task.operation, params: rendered[label] });
      }
    }
    verdicts = validate(requests);
  }, 60_000);

  it.each(cases.map((c) => c.label))('%s: every request is valid for SageMaker', (label) => {
    const mine = Object.entries(verdicts).filter(([request]) => request.endsWith(`, ${label}`));
    expect(mine).toHaveLength(expected[label] ?? 0);
    for (const [request, errors] of mine) expect(errors, request).toEqual([]);
  });

  it('renders the extreme input in full: every channel, 100 hyperparameters, the run id and model name at their longest', () => {
    const label = `CreateTrainingJob (${sageMakerTasks.find((t) => t.operation === 'CreateTrainingJob')?.name}), extreme input on ml.g5.48xlarge`;
    const request = rendered[label] as { [key: string]: Json } | undefined;
    expect(request).toBeDefined();
    expect((request?.['InputDataConfig'] as { ChannelName: string }[]).map((c) => c.ChannelName)).toEqual([
      'train',
      'validation',
      'labels',
      'images',
      'model',
      'champion',
    ]);
    expect(Object.keys(request?.['HyperParameters'] as object)).toHaveLength(SAGEMAKER_HYPERPARAMETER_LIMITS.maxEntries);
    expect(request?.['TrainingJobName']).toBe(`doctrain-${longName(48)}-a1`);
    // SageMaker's 40 MetricDefinitions, the longest Name among them; the field one character longer left out.
    const definitions = (request?.['AlgorithmSpecification'] as { MetricDefinitions: { Name: string; Regex: string }[] }).MetricDefinitions;
    expect(definitions).toHaveLength(METRIC_DEFINITION_LIMITS.maxDefinitions);
    expect(Math.max(...definitions.map((d) => d.Name.length))).toBe(METRIC_DEFINITION_LIMITS.maxNameLength);
    expect(definitions.map((d) => d.Name)).toContain(`champion_val_exact_${LONGEST_FIELD}`);
    expect(definitions.map((d) => d.Name)).not.toContain(`val_exact_${LONGEST_FIELD}g`);
    expect((request?.['TrainingJobName'] as string).length).toBeLessThanOrEqual(63);
  });

  it("carries the instance count and the instance type's GPU count into CreateTrainingJob", () => {
    const create = sageMakerTasks.find((t) => t.operation === 'CreateTrainingJob')?.name;
    const request = rendered[`CreateTrainingJob (${create}), two ml.g5.12xlarge instances`] as { [key: string]: Json } | undefined;
    expect(request?.['ResourceConfig']).toMatchObject({ InstanceCount: 2, InstanceType: 'ml.g5.12xlarge' });
    expect(request?.['Environment']).toEqual({ DOCTRAIN_NPROC_PER_NODE: '4' });
    const defaults = rendered[`CreateTrainingJob (${create}), defaults`] as { [key: string]: Json } | undefined;
    expect(defaults?.['ResourceConfig']).toMatchObject({ InstanceCount: 1, InstanceType: 'ml.g5.xlarge' });
    expect(defaults?.['Environment']).toEqual({ DOCTRAIN_NPROC_PER_NODE: '1' });
    const largest = rendered[`CreateTrainingJob (${create}), extreme input on ml.g5.48xlarge`] as { [key: string]: Json } | undefined;
    expect(largest?.['Environment']).toEqual({ DOCTRAIN_NPROC_PER_NODE: '8' });
  });

  it('sends the tuning job the training job definition CreateTrainingJob gets: image, channels, metrics, spot, checkpoints, stopping condition', () => {
    // Prepare
    const label = (operation: string, c: string): string =>
      `${operation} (${sageMakerTasks.find((t) => t.operation === operation)?.name}), ${c}`;
    const tuning = rendered[label('CreateHyperParameterTuningJob', 'tuning on spot with every channel')] as { [key: string]: Json };
    const training = rendered[label('CreateTrainingJob', 'tuning on spot with every channel')] as { [key: string]: Json };
    const definition = tuning['TrainingJobDefinition'] as { [key: string]: Json };
    // Assess
    expect(tuning['HyperParameterTuningJobName']).toHaveLength(TUNING_LIMITS.maxNameLength);
    for (const key of [
      'AlgorithmSpecification',
      'RoleArn',
      'InputDataConfig',
      'OutputDataConfig',
      'ResourceConfig',
      'Environment',
      'StoppingCondition',
      'EnableManagedSpotTraining',
      'CheckpointConfig',
    ]) {
      expect(definition[key], key).toEqual(training[key]);
    }
    expect(definition['EnableManagedSpotTraining']).toBe(true);
    expect(definition['StoppingCondition']).toMatchObject({ MaxWaitTimeInSeconds: expect.any(Number) as number });
    // The tuned key is no static hyperparameter; Hyperband stops trials itself.
    expect(definition['StaticHyperParameters']).toEqual({ epochs: '3' });
    expect(tuning['HyperParameterTuningJobConfig']).toMatchObject({ Strategy: 'Hyperband', TrainingJobEarlyStoppingType: 'Off' });
    const defaults = rendered[label('CreateHyperParameterTuningJob', 'tuning with the defaults')] as { [key: string]: Json };
    expect(defaults['HyperParameterTuningJobConfig']).toMatchObject({
      Strategy: 'Bayesian',
      TrainingJobEarlyStoppingType: 'Auto',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val_f1' },
    });
    const names = (
      defaults['TrainingJobDefinition'] as { AlgorithmSpecification: { MetricDefinitions: { Name: string }[] } }
    ).AlgorithmSpecification.MetricDefinitions.map((d) => d.Name);
    expect(names).toContain('val_f1');
  });

  it('catches a tuning job SageMaker would refuse (the validator is not blind)', () => {
    // Prepare: the defaults' request, its name one character past 32, a bad strategy and no ResourceLimits.
    const label = `CreateHyperParameterTuningJob (${sageMakerTasks.find((t) => t.operation === 'CreateHyperParameterTuningJob')?.name}), tuning with the defaults`;
    const request = rendered[label] as { [key: string]: Json };
    const { ResourceLimits: _limits, ...config } = request['HyperParameterTuningJobConfig'] as { [key: string]: Json };
    const bad = {
      ...request,
      HyperParameterTuningJobName: 'd'.repeat(33),
      HyperParameterTuningJobConfig: { ...config, Strategy: 'Genetic' },
    };
    // Act
    const errors = (
      validate([{ label: 'bad', service: 'sagemaker', operation: 'CreateHyperParameterTuningJob', params: bad }])['bad'] ?? []
    ).join('\n');
    // Assess
    expect(errors).toMatch(/HyperParameterTuningJobName: length 33/);
    expect(errors).toMatch(/Strategy: 'Genetic' is not one of/);
    expect(errors).toContain('Missing required parameter in HyperParameterTuningJobConfig: "ResourceLimits"');
  });

  it('has ValidateInput refuse a model channel URI one character longer than SageMaker allows', () => {
    const input = (uri: string): Json => ({ training: { modelChannelUri: uri } });
    expect(LONGEST_MODEL_URI).toHaveLength(1024);
    expect(() => trainingState({}, input(LONGEST_MODEL_URI), 'ok')).not.toThrow();
    expect(() => trainingState({}, input(LONGEST_MODEL_URI.replace('.tar.gz', 'x.tar.gz')), 'too-long')).toThrow(/1,024 characters/);
  });

  it('catches what SageMaker would refuse (the validator is not blind)', async () => {
    // Prepare: the default request, less a required member, with three members SageMaker refuses.
    const { state } = trainingState({}, {}, 'negative-control');
    const create = sageMakerTasks.find((t) => t.operation === 'CreateTrainingJob');
    const request = (await renderRequest(create!.name, create!.state, state, 'negative-control')) as { [key: string]: Json };
    const { RoleArn: _roleArn, ...withoutRole } = request;
    const bad = {
      ...withoutRole,
      TrainingJobName: 'doctrain_bad name',
      HyperParameters: { epochs: 'x'.repeat(2501) },
      ResourceConfig: { ...(request['ResourceConfig'] as { [key: string]: Json }), InstanceType: 'ml.g5.huge' },
      // One definition past SageMaker's 40.
      AlgorithmSpecification: {
        ...(request['AlgorithmSpecification'] as { [key: string]: Json }),
        MetricDefinitions: Array.from({ length: METRIC_DEFINITION_LIMITS.maxDefinitions + 1 }, (_, i) => ({
          Name: `m${i}`,
          Regex: 'x=(.*)',
        })),
      },
    };
    // Act
    const errors = (validate([{ label: 'bad', service: 'sagemaker', operation: 'CreateTrainingJob', params: bad }])['bad'] ?? []).join(
      '\n',
    );
    // Assess
    expect(errors).toContain('Missing required parameter in input: "RoleArn"');
    expect(errors).toMatch(/TrainingJobName: .* does not match the model's pattern/);
    expect(errors).toMatch(/HyperParameters\.epochs: length 2501/);
    expect(errors).toMatch(/InstanceType: 'ml\.g5\.huge' is not one of/);
    expect(errors).toMatch(/MetricDefinitions: 41 items, the model allows at most 40/);
  });
});

// ---------- Textract requests built by src/textract/api.ts ----------

describe('Textract requests built by the OCR step', () => {
  it('are valid for Textract, from the smallest to the largest document and key', async () => {
    // Prepare
    const textract = mockClient(TextractClient);
    const nextToken = 'n'.repeat(255);
    textract.on(DetectDocumentTextCommand).resolves({ Blocks: [] });
    textract.on(StartDocumentTextDetectionCommand).resolves({ JobId: 'a'.repeat(64) });
    textract
      .on(GetDocumentTextDetectionCommand)
      .resolvesOnce({ JobStatus: 'SUCCEEDED', Blocks: [], NextToken: nextToken, DocumentMetadata: { Pages: 3000 } })
      .resolves({ JobStatus: 'SUCCEEDED', Blocks: [] });
    const client = new TextractClient({ region: 'us-east-1' });
    const limiter = new TextractLimiter({
      DetectDocumentText: 1000,
      AnalyzeDocument: 1000,
      StartDocumentTextDetection: 1000,
      GetDocumentTextDetection: 1000,
    });
    const bucket = EXTREME_ENV.DOCTRAIN_BUCKET;
    // S3 keys: at most 1,024 bytes (of UTF-8).
    const longestKey = `documents/${'k'.repeat(1010)}.pdf`;
    expect(Buffer.byteLength(longestKey, 'utf8')).toBe(1024);
    // Act
    await detectWords(client, 'documents/one.png', new Uint8Array(1), limiter);
    await detectWords(client, 'documents/largest.png', new Uint8Array(TEXTRACT_LIMITS.sync.maxBytes), limiter);
    await startTextDetection(client, { bucket: 'doc', key: 'a.pdf' }, textractJobToken('r', 'h'), limiter);
    await startTextDetection(
      client,
      { bucket, key: longestKey, versionId: 'v'.repeat(1024) },
      textractJobToken(longName(48), 'e'.repeat(64)),
      limiter,
    );
    await getTextDetection(client, 'a'.repeat(64), longestKey, limiter);
    // Assess
    const requests: ApiRequest[] = textract.calls().map((call, i) => {
      const command = call.args[0] as { constructor: { name: string }; input: unknown };
      return {
        label: `${i}`,
        service: 'textract',
        operation: command.constructor.name.replace(/Command$/, ''),
        params: toJson(command.input),
      };
    });
    expect(requests.map((r) => r.operation)).toEqual([
      'DetectDocumentText',
      'DetectDocumentText',
      'StartDocumentTextDetection',
      'StartDocumentTextDetection',
      'GetDocumentTextDetection',
      'GetDocumentTextDetection',
    ]);
    expect(requests[5]?.params).toMatchObject({ NextToken: nextToken, MaxResults: MAX_BLOCKS_PER_RESPONSE });
    const verdicts = validate(requests);
    for (const request of requests) expect(verdicts[request.label], `${request.operation} ${request.label}`).toEqual([]);
    textract.restore();
  });
});
